#include "worker/agent/engine_runner.h"

#include <utility>

#include "worker/engine/job_runner.h"
#include "worker/engine/telemetry.h"

namespace ptune::agent {
namespace {

class ForwardingSink : public engine::TelemetrySink {
 public:
  explicit ForwardingSink(const std::function<void(v1::JobEvent)>& emit) : emit_(emit) {}
  void Emit(v1::JobEvent event) override {
    if (emit_) emit_(std::move(event));
  }

 private:
  const std::function<void(v1::JobEvent)>& emit_;
};

}  // namespace

absl::StatusOr<JobRunOutcome> EngineRunner::Run(const v1::JobSpec& spec,
                                                const JobRunContext& context) {
  ForwardingSink sink(context.emit);
  engine::JobRunOptions options;
  options.output_dir = context.output_dir;
  options.resume_checkpoint = context.resume_checkpoint;
  options.sink = &sink;
  options.should_stop = context.should_stop;
  options.on_checkpoint = context.on_checkpoint;
  options.device = context.device;
  options.backbones = backbones_;
  absl::StatusOr<engine::JobRunResult> result = engine::RunJob(spec, options);
  if (!result.ok()) return result.status();
  JobRunOutcome outcome;
  outcome.stopped = result->stopped;
  outcome.last_step = result->last_step;
  outcome.final_metrics = std::move(result->final_metrics);
  outcome.artifact_paths = std::move(result->artifact_paths);
  return outcome;
}

}  // namespace ptune::agent
