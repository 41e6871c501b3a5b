// ptunectl list | get ID | cancel ID | workers
#include "absl/strings/str_cat.h"
#include "client/ctl/commands.h"
#include "client/ctl/exit_codes.h"
#include "client/ctl/job_format.h"
#include "client/view/event_lines.h"
#include "common/job_state.h"

namespace ptune::ctl {
namespace {

namespace v1 = ::ptune::v1;

CLI::Option* AddOutputFlag(CLI::App* cmd, std::string* output, const std::string& human) {
  *output = human;
  return cmd->add_option("-o,--output", *output, human + " or json")
      ->check(CLI::IsMember(std::vector<std::string>{human, "json"}))
      ->capture_default_str();
}

struct ListFlags {
  std::vector<std::string> states;
  std::vector<std::string> labels;
  int limit = 50;
  std::string output;
};

int RunList(CtlContext* ctx, const ListFlags& flags) {
  client::ListFilter filter;
  absl::StatusOr<std::vector<v1::JobState>> states = ParseStates(flags.states);
  if (!states.ok()) return ctx->Fail(states.status());
  absl::StatusOr<std::map<std::string, std::string>> labels = ParseLabels(flags.labels);
  if (!labels.ok()) return ctx->Fail(labels.status());
  filter.states = *states;
  filter.labels = *labels;
  filter.page_size = std::clamp(flags.limit, 1, 1000);
  absl::StatusOr<std::unique_ptr<client::Client>> client = ctx->Connect();
  if (!client.ok()) return ctx->Fail(client.status());
  std::vector<v1::Job> jobs;
  absl::Status status = (*client)->List(filter, [&](const v1::Job& job) {
    jobs.push_back(job);
    return flags.limit <= 0 || static_cast<int>(jobs.size()) < flags.limit;
  });
  if (!status.ok()) return ctx->Fail(status);
  if (flags.output == "json") {
    v1::ListJobsResponse response;
    for (v1::Job& job : jobs) *response.add_jobs() = std::move(job);
    *ctx->out << ToJson(response) << "\n";
  } else {
    *ctx->out << FormatJobTable(jobs);
  }
  return kExitOk;
}

int RunGet(CtlContext* ctx, const std::string& id, const std::string& output) {
  absl::StatusOr<std::unique_ptr<client::Client>> client = ctx->Connect();
  if (!client.ok()) return ctx->Fail(client.status());
  absl::StatusOr<v1::Job> job = (*client)->Get(id);
  if (!job.ok()) return ctx->Fail(job.status());
  *ctx->out << (output == "json" ? ToJson(*job) + "\n" : FormatJobDetail(*job));
  return kExitOk;
}

int RunCancel(CtlContext* ctx, const std::string& id, const std::string& reason) {
  absl::StatusOr<std::unique_ptr<client::Client>> client = ctx->Connect();
  if (!client.ok()) return ctx->Fail(client.status());
  absl::StatusOr<v1::Job> job = (*client)->Cancel(id, reason);
  if (!job.ok()) return ctx->Fail(job.status());
  *ctx->out << "job " << job->id() << ": " << ShortStateName(job->state())
            << (job->state() == v1::JOB_STATE_CANCELLED ? "" : " (cancel requested)") << "\n";
  return kExitOk;
}

int RunWorkers(CtlContext* ctx, const std::string& output) {
  absl::StatusOr<std::unique_ptr<client::Client>> client = ctx->Connect();
  if (!client.ok()) return ctx->Fail(client.status());
  absl::StatusOr<std::vector<v1::WorkerInfo>> workers = (*client)->ListWorkers();
  if (!workers.ok()) return ctx->Fail(workers.status());
  if (output == "json") {
    v1::ListWorkersResponse response;
    for (const v1::WorkerInfo& w : *workers) *response.add_workers() = w;
    *ctx->out << ToJson(response) << "\n";
  } else {
    *ctx->out << FormatWorkerTable(*workers);
  }
  return kExitOk;
}

}  // namespace

void AddListCommand(CLI::App* app, CtlContext* ctx) {
  auto flags = std::make_shared<ListFlags>();
  CLI::App* cmd = app->add_subcommand("list", "List jobs, newest first");
  cmd->add_option("--state", flags->states,
                  "Only jobs in this state: queued, running, succeeded, failed, cancelled "
                  "(repeatable)");
  cmd->add_option("--label", flags->labels, "Only jobs with label key=value (repeatable)")
      ->type_name("K=V");
  cmd->add_option("--limit", flags->limit, "At most this many jobs (0: all)")
      ->capture_default_str();
  AddOutputFlag(cmd, &flags->output, "table");
  cmd->callback([ctx, flags] { ctx->exit_code = RunList(ctx, *flags); });
}

void AddGetCommand(CLI::App* app, CtlContext* ctx) {
  auto id = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  CLI::App* cmd = app->add_subcommand("get", "Show one job: state, progress, metrics, artifacts");
  cmd->add_option("id", *id, "Job id")->required()->type_name("ID");
  AddOutputFlag(cmd, output.get(), "human");
  cmd->callback([ctx, id, output] { ctx->exit_code = RunGet(ctx, *id, *output); });
}

void AddCancelCommand(CLI::App* app, CtlContext* ctx) {
  auto id = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>("cancelled with ptunectl");
  CLI::App* cmd = app->add_subcommand(
      "cancel", "Cancel a queued or running job (a finished job cannot be cancelled)");
  cmd->add_option("id", *id, "Job id")->required()->type_name("ID");
  cmd->add_option("--reason", *reason, "Why, recorded in the job's events")->capture_default_str();
  cmd->callback([ctx, id, reason] { ctx->exit_code = RunCancel(ctx, *id, *reason); });
}

void AddWorkersCommand(CLI::App* app, CtlContext* ctx) {
  auto output = std::make_shared<std::string>();
  CLI::App* cmd = app->add_subcommand("workers", "List the workers connected to the scheduler");
  AddOutputFlag(cmd, output.get(), "table");
  cmd->callback([ctx, output] { ctx->exit_code = RunWorkers(ctx, *output); });
}

}  // namespace ptune::ctl
