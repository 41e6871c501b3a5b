// ptunectl download ID [--out DIR] [--name NAME]... [--checkpoint]
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "client/ctl/commands.h"
#include "client/ctl/exit_codes.h"
#include "client/view/event_lines.h"
#include "common/job_state.h"

namespace ptune::ctl {
namespace {

namespace v1 = ::ptune::v1;

struct DownloadFlags {
  std::string id;
  std::string out;
  std::vector<std::string> names;
  bool checkpoint = false;
};

// Artifact names come from the scheduler: never let one escape the output directory.
absl::Status CheckName(const std::string& name) {
  std::filesystem::path path(name);
  if (name.empty() || path.is_absolute()) {
    return absl::InvalidArgumentError(absl::StrCat("refusing artifact name \"", name, "\""));
  }
  for (const auto& part : path) {
    if (part == "..") {
      return absl::InvalidArgumentError(absl::StrCat("refusing artifact name \"", name, "\""));
    }
  }
  return absl::OkStatus();
}

int RunDownload(CtlContext* ctx, const DownloadFlags& flags) {
  absl::StatusOr<std::unique_ptr<client::Client>> client = ctx->Connect();
  if (!client.ok()) return ctx->Fail(client.status());
  absl::StatusOr<v1::Job> job = (*client)->Get(flags.id);
  if (!job.ok()) return ctx->Fail(job.status());
  std::vector<std::string> names = flags.names;
  if (names.empty()) {
    for (const v1::ArtifactInfo& a : job->artifacts()) names.push_back(a.name());
  }
  if (flags.checkpoint) names.push_back("checkpoint");
  if (names.empty()) {
    return ctx->Fail(absl::FailedPreconditionError(
        absl::StrCat("job ", flags.id, " has no artifacts yet (state ",
                     std::string(ShortStateName(job->state())),
                     "); wait for it with `ptunectl watch ", flags.id, "`, or pass --checkpoint")));
  }
  std::string dir = flags.out.empty() ? flags.id : flags.out;
  for (const std::string& name : names) {
    if (absl::Status ok = CheckName(name); !ok.ok()) return ctx->Fail(ok);
    std::string path = (std::filesystem::path(dir) / name).string();
    absl::StatusOr<uint64_t> bytes = (*client)->Download(flags.id, name, path);
    if (!bytes.ok()) return ctx->Fail(bytes.status());
    *ctx->out << "wrote " << path << " (" << *bytes << " bytes)\n";
  }
  return kExitOk;
}

}  // namespace

void AddDownloadCommand(CLI::App* app, CtlContext* ctx) {
  auto flags = std::make_shared<DownloadFlags>();
  CLI::App* cmd = app->add_subcommand(
      "download",
      "Download a job's artifacts (trained prompt, adapter, metrics) into a directory; each "
      "file is checked against its sha256");
  cmd->add_option("id", flags->id, "Job id")->required()->type_name("ID");
  cmd->add_option("--out", flags->out, "Directory to write into (default: ./ID)")->type_name("DIR");
  cmd->add_option("--name", flags->names, "Only this artifact (repeatable)");
  cmd->add_flag("--checkpoint", flags->checkpoint,
                "Also download the latest checkpoint (as DIR/checkpoint)");
  cmd->callback([ctx, flags] { ctx->exit_code = RunDownload(ctx, *flags); });
}

}  // namespace ptune::ctl
