#include "client/view/terminal_view.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/job_state.h"

namespace ptune::client {

namespace v1 = ::ptune::v1;

namespace {

constexpr const char* kUnicodeLevels[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
constexpr char kAsciiLevels[] = "_.-:=+*#";

std::string StateName(v1::JobState state, bool color) {
  std::string name(ShortStateName(state));
  if (!color) return name;
  const char* code = "36";  // cyan: queued / running
  if (state == v1::JOB_STATE_SUCCEEDED) code = "32";
  if (state == v1::JOB_STATE_FAILED) code = "31";
  if (state == v1::JOB_STATE_CANCELLED) code = "33";
  return absl::StrCat("\x1b[1;", code, "m", name, "\x1b[0m");
}

std::vector<double> Resample(const std::vector<double>& values, int width) {
  if (static_cast<int>(values.size()) <= width) return values;
  std::vector<double> out(width);
  for (int i = 0; i < width; ++i) {
    size_t begin = values.size() * i / width;
    size_t end = std::max(begin + 1, values.size() * (i + 1) / width);
    double sum = 0;
    for (size_t j = begin; j < end; ++j) sum += values[j];
    out[i] = sum / (end - begin);
  }
  return out;
}

std::string HeaderLine(const std::string& job_id, const JobProgress& p, const TerminalStyle& s) {
  std::string line = absl::StrCat("job ", job_id, "  ", StateName(p.state(), s.color));
  if (p.attempt() > 1) absl::StrAppend(&line, "  attempt ", p.attempt());
  if (!p.worker_id().empty()) absl::StrAppend(&line, "  on ", p.worker_id());
  if (!p.state_reason().empty() && p.state() != v1::JOB_STATE_RUNNING) {
    absl::StrAppend(&line, "  (", p.state_reason(), ")");
  }
  return line;
}

std::string BarLine(const JobProgress& p, const TerminalStyle& s) {
  uint64_t total = p.total_steps();
  double fraction = total == 0 ? 0 : static_cast<double>(p.step()) / total;
  if (p.state() == v1::JOB_STATE_SUCCEEDED) fraction = 1;
  std::string tail = absl::StrFormat(" %d/%d %3.0f%%", p.step(), total, 100 * fraction);
  if (std::optional<double> eta = p.EtaSeconds())
    absl::StrAppend(&tail, "  ETA ", FormatDuration(*eta));
  if (double rate = p.StepsPerSecond(); rate > 0 && p.state() == v1::JOB_STATE_RUNNING) {
    absl::StrAppend(&tail, "  ", FormatCompact(rate), " steps/s");
  }
  int bar_width = std::max(10, s.width - DisplayWidth(tail) - 2);
  return absl::StrCat("[", ProgressBar(fraction, bar_width, s.unicode), "]", tail);
}

std::string MetricsLine(const JobProgress& p) {
  if (p.steps().empty()) return "waiting for the first step...";
  const StepPoint& last = p.steps().back();
  std::string line = absl::StrCat("loss ", FormatCompact(last.loss));
  if (p.has_tsloss()) {
    absl::StrAppend(&line, "  task ", FormatCompact(last.task_loss), "  tsloss ",
                    FormatCompact(last.tsloss));
  }
  if (last.batch_accuracy > 0) absl::StrAppend(&line, "  acc ", FormatCompact(last.batch_accuracy));
  if (last.tokens_per_second > 0) {
    absl::StrAppend(&line, "  ", FormatCompact(last.tokens_per_second), " tok/s");
  }
  return line;
}

std::string ChartLine(const std::string& label, const std::vector<double>& values,
                      const std::string& suffix, const TerminalStyle& s) {
  std::string head = absl::StrFormat("%-12s ", label);
  int width = std::max(8, s.width - DisplayWidth(head) - DisplayWidth(suffix) - 1);
  return absl::StrCat(head, Sparkline(values, width, s.unicode), " ", suffix);
}

std::string TopologyLine(const v1::TopologySummary& t) {
  return absl::StrCat("H0 ", t.h0_bars(), " bars sum ", FormatCompact(t.h0_total_persistence()),
                      " max ", FormatCompact(t.h0_max_lifetime()), " | H1 ", t.h1_bars(),
                      " bars sum ", FormatCompact(t.h1_total_persistence()), " max ",
                      FormatCompact(t.h1_max_lifetime()), " | b0 ", t.betti0_at_scale(), " b1 ",
                      t.betti1_at_scale(), " @", FormatCompact(t.reference_scale()));
}

}  // namespace

std::string ProgressBar(double fraction, int width, bool unicode) {
  fraction = std::clamp(std::isfinite(fraction) ? fraction : 0.0, 0.0, 1.0);
  int filled = static_cast<int>(std::lround(fraction * width));
  std::string bar;
  for (int i = 0; i < width; ++i) {
    absl::StrAppend(&bar, i < filled ? (unicode ? "█" : "#") : (unicode ? "░" : "-"));
  }
  return bar;
}

std::string Sparkline(const std::vector<double>& values, int width, bool unicode) {
  std::vector<double> finite;
  for (double v : values) {
    if (std::isfinite(v)) finite.push_back(v);
  }
  if (finite.empty() || width <= 0) return "";
  std::vector<double> cells = Resample(finite, width);
  auto [lo, hi] = std::minmax_element(cells.begin(), cells.end());
  double low = *lo, span = *hi - *lo;
  std::string out;
  for (double v : cells) {
    int level = span > 0 ? static_cast<int>(std::lround((v - low) / span * 7)) : 3;
    absl::StrAppend(&out, unicode ? kUnicodeLevels[level] : std::string(1, kAsciiLevels[level]));
  }
  return out;
}

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto s = static_cast<int64_t>(std::lround(seconds));
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
}

std::string FormatCompact(double v) {
  if (!std::isfinite(v)) return absl::StrCat(v);
  double a = std::fabs(v);
  if (a >= 1e6) return absl::StrFormat("%.1fM", v / 1e6);
  if (a >= 1e4) return absl::StrFormat("%.1fk", v / 1e3);
  if (a >= 100) return absl::StrFormat("%.0f", v);
  if (a == 0 || a >= 1e-3) return absl::StrFormat("%.4g", v);
  return absl::StrFormat("%.1e", v);
}

int DisplayWidth(const std::string& line) {
  int width = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\x1b') {
      while (i < line.size() && line[i] != 'm') ++i;
      continue;
    }
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string FitToWidth(const std::string& line, int width) {
  // Text past `width` is dropped but escape sequences are kept, so a colour that was
  // switched on is still switched off.
  std::string out;
  int used = 0;
  bool keep = true;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\x1b') {
      size_t end = line.find('m', i);
      end = end == std::string::npos ? line.size() - 1 : end;
      out.append(line, i, end - i + 1);
      i = end;
      continue;
    }
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) keep = ++used <= width;
    if (keep) out.push_back(line[i]);
  }
  return out;
}

std::vector<std::string> RenderLiveBlock(const std::string& job_id, const JobProgress& p,
                                         const TerminalStyle& s) {
  std::vector<std::string> lines = {HeaderLine(job_id, p, s), BarLine(p, s), MetricsLine(p)};
  if (!p.steps().empty()) {
    std::vector<double> loss;
    for (const StepPoint& point : p.steps()) loss.push_back(point.loss);
    lines.push_back(ChartLine(
        "loss", loss, absl::StrCat(FormatCompact(loss.front()), " -> ", FormatCompact(loss.back())),
        s));
  }
  if (std::string name = p.PrimaryEvalSeries(); !name.empty()) {
    const std::vector<MetricPoint>& points = p.evals().at(name);
    std::vector<double> values;
    for (const MetricPoint& point : points) values.push_back(point.value);
    auto best = std::max_element(
        points.begin(), points.end(),
        [](const MetricPoint& a, const MetricPoint& b) { return a.value < b.value; });
    lines.push_back(ChartLine(name, values,
                              absl::StrCat(FormatCompact(values.back()), " (max ",
                                           FormatCompact(best->value), " @", best->step, ")"),
                              s));
  }
  if (!p.topology().empty()) lines.push_back(TopologyLine(p.topology().back().summary));
  for (std::string& line : lines) line = FitToWidth(line, s.width);
  return lines;
}

void LiveRenderer::Update(const std::vector<std::string>& scrolled,
                          const std::vector<std::string>& block) {
  // Back to the first line of the old block, then clear to the end of the screen.
  if (drawn_lines_ > 0) *out_ << "\x1b[" << drawn_lines_ << "F\x1b[J";
  for (const std::string& line : scrolled) *out_ << line << "\n";
  for (const std::string& line : block) *out_ << line << "\n";
  drawn_lines_ = static_cast<int>(block.size());
  out_->flush();
}

}  // namespace ptune::client
