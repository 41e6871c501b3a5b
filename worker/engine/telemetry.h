#ifndef PTUNE_WORKER_ENGINE_TELEMETRY_H_
#define PTUNE_WORKER_ENGINE_TELEMETRY_H_

// Where the engine sends what it observes while a job runs. Torch-free: the worker agent
// forwards events to the scheduler over gRPC, ptune-train prints them; the engine knows
// neither.

#include "ptune/v1/events.pb.h"

namespace ptune::engine {

// Receives StepRecord, EvalRecord, TopologySnapshot, CheckpointSaved, ArtifactReady and
// LogLine events, in the order they happen, from the thread that runs the job. The engine
// leaves `job_id`, `seq` and `attempt` empty (the scheduler assigns them) and fills `time`.
// Emit must not block for long: it runs between training steps.
class TelemetrySink {
 public:
  virtual ~TelemetrySink() = default;
  virtual void Emit(ptune::v1::JobEvent event) = 0;
};

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_TELEMETRY_H_
