#include "worker/engine/cli/console_sink.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace ptune::engine {
namespace {

constexpr int kBarWidth = 30;

std::string Metrics(const ptune::v1::EvalRecord& eval) {
  std::map<std::string, double> sorted(eval.metrics().begin(), eval.metrics().end());
  return absl::StrJoin(sorted, " ", [](std::string* out, const auto& kv) {
    absl::StrAppendFormat(out, "%s=%.4f", kv.first, kv.second);
  });
}

std::string StepText(const ptune::v1::StepRecord& s) {
  std::string text = absl::StrFormat("step %d/%d loss %.4f", s.step(), s.total_steps(), s.loss());
  if (s.tsloss() != 0)
    absl::StrAppendFormat(&text, " (task %.4f ts %.4f)", s.task_loss(), s.tsloss());
  if (s.learning_rates_size() > 0) absl::StrAppendFormat(&text, " lr %.3g", s.learning_rates(0));
  absl::StrAppendFormat(&text, " |g| %.3f acc %.2f %.0f tok/s", s.grad_norm(), s.batch_accuracy(),
                        s.tokens_per_second());
  return text;
}

}  // namespace

ConsoleSink::ConsoleSink(std::ostream* out, bool progress_bar, uint64_t plain_every)
    : out_(out), progress_bar_(progress_bar), plain_every_(plain_every) {}

ConsoleSink::~ConsoleSink() {
  if (bar_drawn_) *out_ << "\n" << std::flush;
}

bool ConsoleSink::WantsProgressBar() {
  const char* ci = std::getenv("CI");
  return isatty(STDERR_FILENO) == 1 && !(ci != nullptr && std::strcmp(ci, "true") == 0);
}

void ConsoleSink::Line(const std::string& text) {
  if (bar_drawn_) *out_ << "\r\033[K";
  *out_ << text << "\n" << std::flush;
  bar_drawn_ = false;
}

void ConsoleSink::Step(const ptune::v1::StepRecord& s) {
  if (!progress_bar_) {
    const uint64_t every =
        plain_every_ > 0 ? plain_every_ : std::max<uint64_t>(1, s.total_steps() / 20);
    if (s.step() % every == 0 || s.step() == s.total_steps()) Line(StepText(s));
    return;
  }
  const double done = s.total_steps() ? static_cast<double>(s.step()) / s.total_steps() : 1.0;
  const int filled = static_cast<int>(done * kBarWidth);
  *out_ << "\r\033[K[" << std::string(filled, '#') << std::string(kBarWidth - filled, '.') << "] "
        << StepText(s) << std::flush;
  bar_drawn_ = true;
}

void ConsoleSink::Emit(ptune::v1::JobEvent event) {
  if (event.has_step()) {
    Step(event.step());
  } else if (event.has_eval()) {
    Line(absl::StrCat("eval ", event.eval().split(), " @", event.eval().step(), ": ",
                      Metrics(event.eval())));
  } else if (event.has_topology()) {
    const auto& t = event.topology().summary();
    Line(absl::StrFormat("topology @%d: H0 %d bars (total %.3f) H1 %d bars (total %.3f)",
                         event.topology().step(), t.h0_bars(), t.h0_total_persistence(),
                         t.h1_bars(), t.h1_total_persistence()));
  } else if (event.has_log()) {
    Line(event.log().message());
  } else if (event.has_checkpoint()) {
    if (!progress_bar_) {
      Line(absl::StrCat("checkpoint @", event.checkpoint().step(), " (",
                        event.checkpoint().size_bytes(), " bytes)"));
    }
  } else if (event.has_artifact()) {
    Line(absl::StrCat("artifact ", event.artifact().artifact().name()));
  }
}

}  // namespace ptune::engine
