#ifndef PTUNE_SERVER_CONFIG_H_
#define PTUNE_SERVER_CONFIG_H_

#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "server/scheduler_server.h"

namespace ptune::server {

// Flags given as strings before they are checked and converted.
struct SchedulerFlags {
  std::string lease_timeout = "30s";
  std::string shutdown_grace = "5s";
  uint32_t max_attempts = 3;
  uint32_t max_lost_leases = 2;
  size_t max_queued = 100000;
  size_t max_queued_per_tenant = 10000;
  size_t max_running_per_tenant = 0;
};

// Registers every ptune-scheduler flag on `app`, writing into `options`/`flags`. A
// `--config FILE` (TOML or INI, keys named like the flags without dashes, e.g.
// `lease-timeout = "10s"`) supplies defaults that flags override.
void AddSchedulerFlags(CLI::App& app, SchedulerOptions* options, SchedulerFlags* flags);

// Checks the parsed flags and copies them into `options`. INVALID_ARGUMENT naming the
// flag for a bad duration or limit.
absl::Status ApplySchedulerFlags(const SchedulerFlags& flags, SchedulerOptions* options);

}  // namespace ptune::server

#endif  // PTUNE_SERVER_CONFIG_H_
