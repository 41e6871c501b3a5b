// ptunectl watch ID [--from SEQ] [-o auto|live|plain|jsonl]   and   ptunectl logs ID [-f]
#include <chrono>

#include "absl/strings/str_cat.h"
#include "client/ctl/commands.h"
#include "client/ctl/exit_codes.h"
#include "client/view/event_lines.h"
#include "client/view/job_progress.h"
#include "client/view/terminal_view.h"
#include "common/job_state.h"

namespace ptune::ctl {
namespace {

namespace v1 = ::ptune::v1;
using Clock = std::chrono::steady_clock;

// The live view: events fold into a JobProgress; state changes, evals, logs and
// artifacts scroll above a block that is redrawn at most ten times a second.
class LiveWatch {
 public:
  LiveWatch(CtlContext* ctx, std::string job_id)
      : ctx_(ctx), job_id_(std::move(job_id)), renderer_(ctx->out) {
    style_.width = TerminalWidth();
  }

  void OnEvent(const v1::JobEvent& event) {
    progress_.Add(event);
    switch (event.kind_case()) {
      case v1::JobEvent::kStep:
      case v1::JobEvent::kTopology:
        break;
      default:
        scrolled_.push_back(client::FormatEventLine(event));
    }
    if (!scrolled_.empty() || Clock::now() - last_draw_ > std::chrono::milliseconds(100)) Draw();
  }
  void OnReconnect(const absl::Status& why) {
    scrolled_.push_back(absl::StrCat("connection lost (", why.message(), "); reconnecting..."));
    Draw();
  }
  void Draw() {
    renderer_.Update(scrolled_, client::RenderLiveBlock(job_id_, progress_, style_));
    scrolled_.clear();
    last_draw_ = Clock::now();
  }

 private:
  CtlContext* ctx_;
  std::string job_id_;
  client::LiveRenderer renderer_;
  client::TerminalStyle style_;
  client::JobProgress progress_;
  std::vector<std::string> scrolled_;
  Clock::time_point last_draw_;
};

int FinalExitCode(CtlContext* ctx, const v1::Job& job) {
  int code = ExitCodeForState(job.state());
  if (code != kExitOk) {
    *ctx->err << "ptunectl: job " << job.id() << " ended " << ShortStateName(job.state());
    if (!job.state_reason().empty()) *ctx->err << ": " << job.state_reason();
    *ctx->err << "\n";
  }
  return code;
}

}  // namespace

int RunWatch(CtlContext* ctx, client::Client* client, const std::string& job_id,
             const WatchView& view) {
  std::string mode = view.mode;
  if (mode == "auto") mode = InteractiveTerminal() ? "live" : "plain";
  LiveWatch live(ctx, job_id);
  client::WatchOptions options;
  options.after_seq = view.from_seq;
  options.on_reconnect = [&](const absl::Status& why) {
    if (mode == "live") {
      live.OnReconnect(why);
    } else {
      *ctx->err << "ptunectl: connection lost (" << why.message() << "); reconnecting\n";
    }
  };
  absl::StatusOr<v1::Job> job = client->Watch(job_id, options, [&](const v1::JobEvent& event) {
    if (mode == "live") {
      live.OnEvent(event);
    } else {
      *ctx->out << (mode == "jsonl" ? client::FormatEventJson(event)
                                    : client::FormatEventLine(event))
                << "\n";
      ctx->out->flush();
    }
    return true;
  });
  if (mode == "live") live.Draw();
  if (!job.ok()) return ctx->Fail(job.status());
  return FinalExitCode(ctx, *job);
}

void AddWatchCommand(CLI::App* app, CtlContext* ctx) {
  auto id = std::make_shared<std::string>();
  auto view = std::make_shared<WatchView>();
  CLI::App* cmd = app->add_subcommand(
      "watch",
      "Follow a job's events until it finishes: a live progress view on a terminal, one line "
      "per event otherwise. Survives scheduler restarts (reconnects and resumes). Exit code: "
      "0 succeeded, 3 failed, 4 cancelled.");
  cmd->add_option("id", *id, "Job id")->required()->type_name("ID");
  cmd->add_option("--from", view->from_seq, "Start after this event seq (default: all)")
      ->type_name("SEQ");
  cmd->add_option("-o,--output", view->mode,
                  "auto (live on a terminal, plain otherwise or when CI is set), live, plain "
                  "or jsonl")
      ->check(CLI::IsMember({"auto", "live", "plain", "jsonl"}))
      ->capture_default_str();
  cmd->callback([ctx, id, view] {
    absl::StatusOr<std::unique_ptr<client::Client>> client = ctx->Connect();
    ctx->exit_code =
        client.ok() ? RunWatch(ctx, client->get(), *id, *view) : ctx->Fail(client.status());
  });
}

namespace {

int RunLogs(CtlContext* ctx, const std::string& job_id, bool follow) {
  absl::StatusOr<std::unique_ptr<client::Client>> client = ctx->Connect();
  if (!client.ok()) return ctx->Fail(client.status());
  absl::StatusOr<v1::Job> job = (*client)->Get(job_id);
  if (!job.ok()) return ctx->Fail(job.status());
  const uint64_t until = job->last_seq();
  if (!follow && until == 0) return kExitOk;
  absl::StatusOr<v1::Job> end = (*client)->Watch(job_id, {}, [&](const v1::JobEvent& event) {
    if (event.has_log() || event.has_state()) {
      *ctx->out << client::FormatEventLine(event) << "\n";
      ctx->out->flush();
    }
    return follow || event.seq() < until;
  });
  if (!end.ok()) return ctx->Fail(end.status());
  return kExitOk;
}

}  // namespace

void AddLogsCommand(CLI::App* app, CtlContext* ctx) {
  auto id = std::make_shared<std::string>();
  auto follow = std::make_shared<bool>(false);
  CLI::App* cmd = app->add_subcommand(
      "logs", "Print a job's log lines and state changes stored so far (-f: keep following)");
  cmd->add_option("id", *id, "Job id")->required()->type_name("ID");
  cmd->add_flag("-f,--follow", *follow, "Keep printing new lines until the job finishes");
  cmd->callback([ctx, id, follow] { ctx->exit_code = RunLogs(ctx, *id, *follow); });
}

}  // namespace ptune::ctl
