#include "client/plot/training_figure.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "client/plot/svg_writer.h"
#include "client/view/terminal_view.h"

namespace ptune::client {

namespace v1 = ::ptune::v1;

namespace {

using Points = std::vector<std::pair<double, double>>;

constexpr double kWidth = 1000, kHeight = 720;
constexpr const char* kBlue = "#1f77b4";
constexpr const char* kOrange = "#ff7f0e";
constexpr const char* kGreen = "#2ca02c";
constexpr const char* kRed = "#d62728";
constexpr const char* kPurple = "#9467bd";

struct Range {
  double lo = 0, hi = 1;
};

// Widens [lo, hi] to round tick values (1, 2, 5 x 10^k, about five ticks).
Range NiceRange(double lo, double hi, double* tick) {
  if (!(hi > lo)) {
    double pad = std::fabs(lo) > 0 ? std::fabs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  double raw = (hi - lo) / 5, magnitude = std::pow(10, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  *tick = step;
  return {std::floor(lo / step) * step, std::ceil(hi / step) * step};
}

Range Extent(const std::vector<const Points*>& series) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const Points* points : series) {
    for (const auto& [x, y] : *points) {
      if (std::isfinite(y)) lo = std::min(lo, y), hi = std::max(hi, y);
    }
  }
  return std::isfinite(lo) ? Range{lo, hi} : Range{0, 1};
}

struct Panel {
  double x, y, w, h;  // plot area in pixels
  Range xr, yr;
  double px(double v) const { return x + (v - xr.lo) / (xr.hi - xr.lo) * w; }
  double py(double v) const { return y + h - (v - yr.lo) / (yr.hi - yr.lo) * h; }
};

// Frame, ticks and labels; returns the panel with its ranges set.
Panel DrawAxes(SvgWriter* svg, double x, double y, double w, double h, Range xr, Range yr,
               const std::string& title, const std::string& xlabel, const std::string& ylabel) {
  double xtick = 1, ytick = 1;
  Panel p{x, y, w, h, NiceRange(xr.lo, xr.hi, &xtick), NiceRange(yr.lo, yr.hi, &ytick)};
  svg->Text(x, y - 12, title, 14, "start", "#111");
  svg->Rect(x, y, w, h, "#fafafa", "#888");
  for (double v = p.xr.lo; v <= p.xr.hi + xtick / 2; v += xtick) {
    svg->Line(p.px(v), y + h, p.px(v), y + h + 4, "#888");
    svg->Text(p.px(v), y + h + 16, FormatCompact(v), 10, "middle");
  }
  for (double v = p.yr.lo; v <= p.yr.hi + ytick / 2; v += ytick) {
    svg->Line(x, p.py(v), x + w, p.py(v), "#e4e4e4");
    svg->Text(x - 6, p.py(v) + 3, FormatCompact(v), 10, "end");
  }
  svg->Text(x + w / 2, y + h + 32, xlabel, 11, "middle");
  svg->Text(x - 44, y + h / 2, ylabel, 11, "middle", "#222", -90);
  return p;
}

void DrawSeries(SvgWriter* svg, const Panel& p, const std::string& id, const std::string& label,
                const std::string& color, const Points& points, bool markers) {
  svg->BeginGroup(id, "series", {{"label", label}, {"points", absl::StrCat(points.size())}});
  Points pixels;
  for (const auto& [x, y] : points) {
    if (std::isfinite(y)) pixels.push_back({p.px(x), p.py(y)});
  }
  svg->Polyline(pixels, color);
  if (markers) {
    for (const auto& [x, y] : pixels) svg->Circle(x, y, 2.5, color);
  }
  svg->EndGroup();
}

void DrawLegend(SvgWriter* svg, const Panel& p,
                const std::vector<std::pair<std::string, std::string>>& entries) {
  double y = p.y + 14;
  for (const auto& [label, color] : entries) {
    svg->Line(p.x + p.w - 110, y - 4, p.x + p.w - 92, y - 4, color, 2.5);
    svg->Text(p.x + p.w - 88, y, label, 10);
    y += 14;
  }
}

void NoData(SvgWriter* svg, double x, double y, double w, double h, const std::string& title,
            const std::string& why) {
  svg->Text(x, y - 12, title, 14, "start", "#111");
  svg->Rect(x, y, w, h, "#fafafa", "#888");
  svg->Text(x + w / 2, y + h / 2, why, 12, "middle", "#777");
}

Range StepRange(const JobProgress& progress) {
  double last = progress.steps().empty() ? 1 : progress.steps().back().step;
  return {0, std::max<double>({last, static_cast<double>(progress.total_steps()), 1})};
}

void LossPanel(SvgWriter* svg, const JobProgress& progress, double x, double y, double w,
               double h) {
  const char* title = "(a) Training loss";
  if (progress.steps().empty()) return NoData(svg, x, y, w, h, title, "no steps reported");
  Points loss, task, tsloss;
  for (const StepPoint& s : progress.steps()) {
    loss.push_back({double(s.step), s.loss});
    task.push_back({double(s.step), s.task_loss});
    tsloss.push_back({double(s.step), s.tsloss});
  }
  std::vector<const Points*> shown = {&loss, &task};
  if (progress.has_tsloss()) shown.push_back(&tsloss);
  Panel p = DrawAxes(svg, x, y, w, h, StepRange(progress), Extent(shown), title, "step", "loss");
  DrawSeries(svg, p, "series-loss", "loss (total)", kBlue, loss, false);
  DrawSeries(svg, p, "series-task_loss", "task loss", kGreen, task, false);
  std::vector<std::pair<std::string, std::string>> legend = {{"loss (total)", kBlue},
                                                             {"task loss", kGreen}};
  if (progress.has_tsloss()) {
    DrawSeries(svg, p, "series-tsloss", "TSLoss", kOrange, tsloss, false);
    legend.push_back({"TSLoss", kOrange});
  }
  DrawLegend(svg, p, legend);
}

void EvalPanel(SvgWriter* svg, const JobProgress& progress, double x, double y, double w,
               double h) {
  std::string primary = progress.PrimaryEvalSeries();
  if (primary.empty()) return NoData(svg, x, y, w, h, "(b) Evaluation", "no evaluations yet");
  std::string metric = primary.substr(primary.find('/') + 1);
  std::vector<std::pair<std::string, Points>> series;
  for (const auto& [name, points] : progress.evals()) {
    if (name.substr(name.find('/') + 1) != metric) continue;
    Points xy;
    for (const MetricPoint& m : points) xy.push_back({double(m.step), m.value});
    series.push_back({name.substr(0, name.find('/')), std::move(xy)});
  }
  std::vector<const Points*> all;
  for (const auto& s : series) all.push_back(&s.second);
  Panel p = DrawAxes(svg, x, y, w, h, StepRange(progress), Extent(all),
                     absl::StrCat("(b) Evaluation: ", metric), "step", metric);
  const char* colors[] = {kPurple, kRed, kBlue, kGreen};
  std::vector<std::pair<std::string, std::string>> legend;
  for (size_t i = 0; i < series.size(); ++i) {
    const char* color = colors[i % 4];
    std::string id = absl::StrReplaceAll(absl::StrCat("series-eval-", series[i].first, "-", metric),
                                         {{" ", "_"}});
    DrawSeries(svg, p, id, series[i].first, color, series[i].second, true);
    legend.push_back({series[i].first, color});
  }
  DrawLegend(svg, p, legend);
}

void TopologyPanel(SvgWriter* svg, const JobProgress& progress, double x, double y, double w,
                   double h) {
  const char* title = "(c) Prompt topology: total persistence";
  if (progress.topology().empty()) {
    return NoData(svg, x, y, w, h, title, "no topology snapshots");
  }
  Points h0, h1;
  for (const TopologyPoint& t : progress.topology()) {
    h0.push_back({double(t.step), t.summary.h0_total_persistence()});
    h1.push_back({double(t.step), t.summary.h1_total_persistence()});
  }
  Panel left = DrawAxes(svg, x, y, w, h, StepRange(progress), Extent({&h0}), title, "step",
                        "H0 total persistence");
  DrawSeries(svg, left, "series-h0-total", "H0 total persistence", kBlue, h0, true);
  // H1 is usually an order of magnitude smaller: its own scale on the right.
  double tick = 1;
  Panel right = left;
  right.yr = NiceRange(Extent({&h1}).lo, Extent({&h1}).hi, &tick);
  for (double v = right.yr.lo; v <= right.yr.hi + tick / 2; v += tick) {
    svg->Text(x + w + 6, right.py(v) + 3, FormatCompact(v), 10, "start", kOrange);
  }
  svg->Text(x + w + 46, y + h / 2, "H1 total persistence", 11, "middle", kOrange, 90);
  DrawSeries(svg, right, "series-h1-total", "H1 total persistence", kOrange, h1, true);
  DrawLegend(svg, left, {{"H0 (left)", kBlue}, {"H1 (right)", kOrange}});
}

void DiagramPanel(SvgWriter* svg, const JobProgress& progress, double x, double y, double w,
                  double h) {
  const std::optional<v1::TopologySnapshot>& snapshot = progress.latest_diagram();
  if (!snapshot) return NoData(svg, x, y, w, h, "(d) Persistence diagram", "no diagram yet");
  double top = 0;
  for (const v1::PersistencePair& pair : snapshot->pairs()) {
    top = std::max(top, pair.birth());
    if (std::isfinite(pair.death())) top = std::max(top, pair.death());
  }
  Range r{0, top > 0 ? top * 1.1 : 1};
  Panel p = DrawAxes(svg, x, y, w, h, r, r,
                     absl::StrCat("(d) Persistence diagram at step ", snapshot->step()), "birth",
                     "death");
  svg->Line(p.px(p.xr.lo), p.py(p.yr.lo), p.px(p.xr.hi), p.py(p.xr.hi), "#999", 1, "4 3");
  for (uint32_t dim : {0u, 1u}) {
    Points pts;
    for (const v1::PersistencePair& pair : snapshot->pairs()) {
      if (pair.dim() != dim) continue;
      double death = std::isfinite(pair.death()) ? pair.death() : p.yr.hi;  // oo on top
      pts.push_back({p.px(pair.birth()), p.py(death)});
    }
    const char* color = dim == 0 ? kBlue : kOrange;
    svg->BeginGroup(absl::StrCat("diagram-h", dim), "series",
                    {{"label", absl::StrCat("H", dim)}, {"points", absl::StrCat(pts.size())}});
    for (const auto& [px, py] : pts) svg->Circle(px, py, 3, color);
    svg->EndGroup();
  }
  DrawLegend(svg, p, {{"H0", kBlue}, {"H1", kOrange}});
}

}  // namespace

std::string RenderTrainingFigure(const JobProgress& progress, const std::string& title) {
  SvgWriter svg(kWidth, kHeight);
  svg.Text(kWidth / 2, 28, title, 17, "middle", "#000");
  const double w = 380, h = 230;
  LossPanel(&svg, progress, 80, 80, w, h);
  EvalPanel(&svg, progress, 570, 80, w, h);
  TopologyPanel(&svg, progress, 80, 420, w, h);
  DiagramPanel(&svg, progress, 570, 420, w, h);
  return svg.Finish();
}

}  // namespace ptune::client
