#include "server/config.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace ptune::server {
namespace {

absl::Status ParseMillis(const std::string& text, const char* flag,
                         std::chrono::milliseconds* out) {
  absl::Duration duration;
  if (!absl::ParseDuration(text, &duration) || duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": a positive duration like 30s, 500ms or 2m is required (got \"", text, "\")"));
  }
  *out = std::chrono::milliseconds(absl::ToInt64Milliseconds(duration));
  if (out->count() == 0) *out = std::chrono::milliseconds(1);
  return absl::OkStatus();
}

}  // namespace

void AddSchedulerFlags(CLI::App& app, SchedulerOptions* options, SchedulerFlags* flags) {
  app.set_config("--config", "", "TOML/INI file with flag values (flags override it)");
  app.add_option("--listen", options->listen_address, "gRPC listen address host:port")
      ->capture_default_str();
  app.add_option("--metrics-listen", options->metrics_address,
                 "Prometheus /metrics address host:port (empty: off)");
  app.add_option("--store", options->store_path, "SQLite database file")->capture_default_str();
  app.add_option("--lease-timeout", flags->lease_timeout,
                 "Worker lease: silence after which its jobs are requeued")
      ->capture_default_str();
  app.add_option("--max-attempts", flags->max_attempts, "Default attempts per job")
      ->capture_default_str();
  app.add_option("--max-lost-leases", flags->max_lost_leases,
                 "Lost workers (lease expired while running) after which a job is FAILED "
                 "(0: no limit)")
      ->capture_default_str();
  app.add_option("--max-queued", flags->max_queued, "Queued jobs over all tenants (0: no limit)")
      ->capture_default_str();
  app.add_option("--max-queued-per-tenant", flags->max_queued_per_tenant,
                 "Queued jobs per tenant (0: no limit)")
      ->capture_default_str();
  app.add_option("--max-running-per-tenant", flags->max_running_per_tenant,
                 "Running jobs per tenant (0: no limit)")
      ->capture_default_str();
  app.add_option("--shutdown-grace", flags->shutdown_grace,
                 "How long shutdown waits for calls and streams to finish")
      ->capture_default_str();
  app.add_option("--tls-cert", options->tls.cert_file, "PEM server certificate chain");
  app.add_option("--tls-key", options->tls.key_file, "PEM server private key");
  app.add_option("--tls-client-ca", options->tls.client_ca_file,
                 "PEM CA of worker client certificates (requires mTLS of workers)");
  app.add_option("--tokens-file", options->tokens_file,
                 "Bearer tokens: lines '<token> <tenant> [admin] [worker]' (empty: insecure)");
}

absl::Status ApplySchedulerFlags(const SchedulerFlags& flags, SchedulerOptions* options) {
  if (absl::Status s =
          ParseMillis(flags.lease_timeout, "--lease-timeout", &options->manager.lease_timeout);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ParseMillis(flags.shutdown_grace, "--shutdown-grace", &options->shutdown_grace);
      !s.ok()) {
    return s;
  }
  if (flags.max_attempts == 0) {
    return absl::InvalidArgumentError("--max-attempts: must be >= 1 (got 0)");
  }
  options->manager.default_max_attempts = flags.max_attempts;
  options->manager.max_lost_leases = flags.max_lost_leases;
  options->manager.queue.max_queued = flags.max_queued;
  options->manager.queue.max_queued_per_tenant = flags.max_queued_per_tenant;
  options->manager.queue.max_running_per_tenant = flags.max_running_per_tenant;
  return absl::OkStatus();
}

}  // namespace ptune::server
