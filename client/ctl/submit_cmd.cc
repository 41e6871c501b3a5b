// ptunectl submit SPEC [--priority N] [--label k=v]... [--request-id ID] [--watch] [-o ...]
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "client/ctl/commands.h"
#include "client/ctl/exit_codes.h"
#include "common/spec_loader.h"
#include "common/spec_validation.h"

namespace ptune::ctl {
namespace {

struct SubmitFlags {
  std::string spec_file;
  int32_t priority = 0;
  std::vector<std::string> labels;
  std::string request_id;
  uint32_t max_attempts = 0;
  bool watch = false;
  std::string output = "human";
  WatchView view;
};

// Loads and validates the spec locally: a bad spec fails fast with every problem on its
// own line, before anything reaches the scheduler (which validates again).
absl::StatusOr<ptune::v1::JobSpec> LoadValidSpec(const std::string& path) {
  absl::StatusOr<ptune::v1::JobSpec> spec = LoadJobSpecFile(path);
  if (!spec.ok()) {
    if (spec.status().code() == absl::StatusCode::kNotFound) {
      return absl::InvalidArgumentError(spec.status().message());
    }
    return spec.status();
  }
  absl::Status valid = ValidateJobSpec(*spec);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": invalid job spec:\n  ", absl::StrReplaceAll(valid.message(), {{"; ", "\n  "}})));
  }
  return spec;
}

int RunSubmit(CtlContext* ctx, const SubmitFlags& flags) {
  absl::StatusOr<ptune::v1::JobSpec> spec = LoadValidSpec(flags.spec_file);
  if (!spec.ok()) return ctx->Fail(spec.status());
  absl::StatusOr<std::map<std::string, std::string>> labels = ParseLabels(flags.labels);
  if (!labels.ok()) return ctx->Fail(labels.status());
  absl::StatusOr<std::unique_ptr<client::Client>> client = ctx->Connect();
  if (!client.ok()) return ctx->Fail(client.status());
  client::SubmitOptions options;
  options.spec = *std::move(spec);
  options.request_id = flags.request_id;
  options.priority = flags.priority;
  options.labels = *std::move(labels);
  options.max_attempts = flags.max_attempts;
  absl::StatusOr<ptune::v1::SubmitJobResponse> response = (*client)->Submit(options);
  if (!response.ok()) return ctx->Fail(response.status());
  const ptune::v1::Job& job = response->job();
  if (flags.output == "id") {
    *ctx->out << job.id() << "\n";
  } else if (flags.output == "json") {
    *ctx->out << ToJson(*response) << "\n";
  } else {
    *ctx->out << (response->existing() ? "already submitted as job " : "submitted job ") << job.id()
              << "\n";
    if (!flags.watch) *ctx->out << "follow it with: ptunectl watch " << job.id() << "\n";
  }
  ctx->out->flush();
  if (!flags.watch) return kExitOk;
  return RunWatch(ctx, client->get(), job.id(), flags.view);
}

}  // namespace

void AddSubmitCommand(CLI::App* app, CtlContext* ctx) {
  auto flags = std::make_shared<SubmitFlags>();
  CLI::App* cmd = app->add_subcommand(
      "submit",
      "Submit a job spec (YAML or JSON). The spec is validated locally first; a repeat "
      "with the same --request-id returns the existing job.");
  cmd->add_option("spec", flags->spec_file, "Job spec file (.yaml, .yml or .json)")
      ->required()
      ->type_name("SPEC");
  cmd->add_option("--priority", flags->priority, "Larger runs first (default 0)");
  cmd->add_option("--label", flags->labels, "Label key=value (repeatable)")->type_name("K=V");
  cmd->add_option("--request-id", flags->request_id,
                  "Idempotency key (default: a random UUID, reused on retries)");
  cmd->add_option("--max-attempts", flags->max_attempts,
                  "Attempts before the job fails (default: the scheduler's)");
  cmd->add_flag("--watch,-w", flags->watch, "Follow the job until it finishes (as `watch`)");
  cmd->add_option("-o,--output", flags->output, "human, id (the job id only) or json")
      ->check(CLI::IsMember({"human", "id", "json"}))
      ->capture_default_str();
  cmd->add_option("--view", flags->view.mode, "With --watch: auto, live, plain or jsonl")
      ->check(CLI::IsMember({"auto", "live", "plain", "jsonl"}))
      ->capture_default_str();
  cmd->callback([ctx, flags] { ctx->exit_code = RunSubmit(ctx, *flags); });
}

}  // namespace ptune::ctl
