// ptunectl plot ID --out FILE.svg|FILE.png
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/ctl/commands.h"
#include "client/ctl/exit_codes.h"
#include "client/plot/training_figure.h"
#include "client/view/job_progress.h"
#include "common/yaml_to_proto.h"

namespace ptune::ctl {
namespace {

namespace v1 = ::ptune::v1;

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string dirs = path;
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

// Single-quotes `s` for /bin/sh.
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

absl::Status ConvertToPng(const std::string& svg_path, const std::string& png_path) {
  std::string command;
  if (OnPath("rsvg-convert")) {
    command =
        absl::StrCat("rsvg-convert -f png -o ", ShellQuote(png_path), " ", ShellQuote(svg_path));
  } else if (OnPath("convert")) {
    command =
        absl::StrCat("convert -density 150 ", ShellQuote(svg_path), " ", ShellQuote(png_path));
  } else {
    return absl::FailedPreconditionError(
        "no SVG-to-PNG converter found; install librsvg2-bin (rsvg-convert) or imagemagick, "
        "or write an .svg");
  }
  if (std::system((command + " 2>/dev/null").c_str()) != 0) {
    return absl::InternalError(absl::StrCat("PNG conversion failed: ", command));
  }
  return absl::OkStatus();
}

std::string Title(const v1::Job& job) {
  std::string title = absl::StrCat("job ", job.id());
  if (!job.spec().name().empty()) absl::StrAppend(&title, " (", job.spec().name(), ")");
  const auto* method = v1::Method_descriptor()->FindValueByNumber(job.spec().method());
  if (method != nullptr && job.spec().method() != v1::METHOD_UNSPECIFIED) {
    absl::StrAppend(&title, ": ", ShortEnumName(*method));
  }
  if (job.spec().tsloss().enabled()) absl::StrAppend(&title, " + TSLoss");
  return title;
}

int RunPlot(CtlContext* ctx, const std::string& id, const std::string& out) {
  bool png = absl::EndsWithIgnoreCase(out, ".png");
  if (!png && !absl::EndsWithIgnoreCase(out, ".svg")) {
    return ctx->Fail(absl::InvalidArgumentError(
        absl::StrCat("--out ", out, ": the file must end in .svg or .png")));
  }
  absl::StatusOr<std::unique_ptr<client::Client>> client = ctx->Connect();
  if (!client.ok()) return ctx->Fail(client.status());
  absl::StatusOr<v1::Job> job = (*client)->Get(id);
  if (!job.ok()) return ctx->Fail(job.status());
  client::JobProgress progress;
  const uint64_t until = job->last_seq();
  if (until > 0) {
    absl::StatusOr<v1::Job> end = (*client)->Watch(id, {}, [&](const v1::JobEvent& event) {
      progress.Add(event);
      return event.seq() < until;
    });
    if (!end.ok()) return ctx->Fail(end.status());
  }
  std::string svg_path = png ? out.substr(0, out.size() - 4) + ".svg" : out;
  std::ofstream file(svg_path, std::ios::trunc);
  file << client::RenderTrainingFigure(progress, Title(*job));
  file.close();
  if (!file) return ctx->Fail(absl::PermissionDeniedError(absl::StrCat("cannot write ", svg_path)));
  if (png) {
    if (absl::Status converted = ConvertToPng(svg_path, out); !converted.ok()) {
      return ctx->Fail(absl::Status(
          converted.code(), absl::StrCat(converted.message(), " (the SVG is at ", svg_path, ")")));
    }
  }
  *ctx->out << "wrote " << out << (png ? " and " + svg_path : "") << "\n";
  return kExitOk;
}

}  // namespace

void AddPlotCommand(CLI::App* app, CtlContext* ctx) {
  auto id = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  CLI::App* cmd = app->add_subcommand(
      "plot",
      "Draw a job's training figure: loss curves, eval metric, H0/H1 total persistence over "
      "training and the latest persistence diagram (SVG; PNG via rsvg-convert or ImageMagick)");
  cmd->add_option("id", *id, "Job id")->required()->type_name("ID");
  cmd->add_option("--out", *out, "Output file, .svg or .png")->required()->type_name("FILE");
  cmd->callback([ctx, id, out] { ctx->exit_code = RunPlot(ctx, *id, *out); });
}

}  // namespace ptune::ctl
