#ifndef PTUNE_CLIENT_CTL_COMMANDS_H_
#define PTUNE_CLIENT_CTL_COMMANDS_H_

#include <cstdint>
#include <string>

#include "CLI/CLI.hpp"
#include "client/ctl/ctl_common.h"

namespace ptune::ctl {

// Each Add*Command registers one ptunectl subcommand (its flags and --help text) whose
// callback runs the command and stores its exit code in `ctx`. `ctx` outlives `app`.
void AddSubmitCommand(CLI::App* app, CtlContext* ctx);
void AddListCommand(CLI::App* app, CtlContext* ctx);
void AddGetCommand(CLI::App* app, CtlContext* ctx);
void AddCancelCommand(CLI::App* app, CtlContext* ctx);
void AddWorkersCommand(CLI::App* app, CtlContext* ctx);
void AddWatchCommand(CLI::App* app, CtlContext* ctx);
void AddLogsCommand(CLI::App* app, CtlContext* ctx);
void AddDownloadCommand(CLI::App* app, CtlContext* ctx);
void AddPlotCommand(CLI::App* app, CtlContext* ctx);

// How `watch` prints: "auto" (live view on an interactive terminal, else plain),
// "live", "plain" (one line per event) or "jsonl" (one JSON object per event).
struct WatchView {
  std::string mode = "auto";
  uint64_t from_seq = 0;
};

// Follows a job until it is final, printing as `view` says; returns the exit code for
// the job's final state (or for the error that ended the watch). Shared by `watch` and
// `submit --watch`.
int RunWatch(CtlContext* ctx, client::Client* client, const std::string& job_id,
             const WatchView& view);

}  // namespace ptune::ctl

#endif  // PTUNE_CLIENT_CTL_COMMANDS_H_
