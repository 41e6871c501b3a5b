#ifndef PTUNE_WORKER_ENGINE_CLI_CONSOLE_SINK_H_
#define PTUNE_WORKER_ENGINE_CLI_CONSOLE_SINK_H_

// Prints a job's telemetry for ptune-train: on a terminal a one-line progress bar
// redrawn in place, with evaluation and log lines above it; otherwise (piped, or
// CI=true) plain lines, a step line every `plain_every` steps. Torch-free.

#include <cstdint>
#include <ostream>

#include "worker/engine/telemetry.h"

namespace ptune::engine {

class ConsoleSink : public TelemetrySink {
 public:
  // `out` is not owned. plain_every 0: every 5% of the steps.
  ConsoleSink(std::ostream* out, bool progress_bar, uint64_t plain_every = 0);
  ~ConsoleSink() override;

  void Emit(ptune::v1::JobEvent event) override;

  // True when stderr is a terminal and CI is not "true".
  static bool WantsProgressBar();

 private:
  void Step(const ptune::v1::StepRecord& step);
  void Line(const std::string& text);

  std::ostream* out_;
  bool progress_bar_;
  uint64_t plain_every_;
  bool bar_drawn_ = false;
};

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_CLI_CONSOLE_SINK_H_
