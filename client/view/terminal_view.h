#ifndef PTUNE_CLIENT_VIEW_TERMINAL_VIEW_H_
#define PTUNE_CLIENT_VIEW_TERMINAL_VIEW_H_

#include <ostream>
#include <string>
#include <vector>

#include "client/view/job_progress.h"

namespace ptune::client {

struct TerminalStyle {
  // Columns available; every rendered line fits in it (so redraws never wrap).
  int width = 80;
  // Block characters (▁▂▃ █░); false: ASCII only.
  bool unicode = true;
  // ANSI colours for the state.
  bool color = true;
};

// `fraction` in [0, 1] as a bar of exactly `width` cells.
std::string ProgressBar(double fraction, int width, bool unicode);
// `values` squeezed (bucket means) or stretched into at most `width` cells, scaled to the
// range of the values; empty for no values.
std::string Sparkline(const std::vector<double>& values, int width, bool unicode);
// "45s", "3m05s", "2h07m".
std::string FormatDuration(double seconds);
// A number in about 5 significant characters: 0.6931, 1.2e-05, 12.3k, 4.1M.
std::string FormatCompact(double value);
// Cells a line takes on screen: UTF-8 code points, ANSI escape sequences excluded.
int DisplayWidth(const std::string& line);
// Cuts `line` to at most `width` cells, keeping escape sequences intact.
std::string FitToWidth(const std::string& line, int width);

// The live block `ptunectl watch` redraws in place: header, progress bar with ETA, the
// current losses/accuracy/throughput, sparklines of the loss and the eval metric, and
// the latest H0/H1 summary. Every line fits style.width.
std::vector<std::string> RenderLiveBlock(const std::string& job_id, const JobProgress& progress,
                                         const TerminalStyle& style);

// Redraws a block of lines in place on an ANSI terminal, with other output (logs,
// state changes) scrolling above it.
class LiveRenderer {
 public:
  explicit LiveRenderer(std::ostream* out) : out_(out) {}
  // Erases the previous block, prints `scrolled` lines, then draws `block`.
  void Update(const std::vector<std::string>& scrolled, const std::vector<std::string>& block);

 private:
  std::ostream* out_;
  int drawn_lines_ = 0;
};

}  // namespace ptune::client

#endif  // PTUNE_CLIENT_VIEW_TERMINAL_VIEW_H_
