#ifndef PTUNE_WORKER_AGENT_RUNNER_H_
#define PTUNE_WORKER_AGENT_RUNNER_H_

// What the agent needs from a training engine: engine::RunJob's torch-free interface
// (worker/engine/job_runner.h), behind a virtual so tests substitute a scripted runner
// and test the agent's protocol handling without training anything. The production
// implementation (engine_runner.h) calls engine::RunJob.

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"
#include "worker/engine/job_runner.h"

namespace ptune::agent {

class JobRunner {
 public:
  virtual ~JobRunner() = default;
  // Runs one job to completion on the calling thread, as engine::RunJob does (the
  // agent fills output_dir, resume_checkpoint, device, sink, should_stop and
  // on_checkpoint). Called concurrently from several job threads. Errors carry a message
  // a user can act on; they never throw.
  virtual absl::StatusOr<engine::JobRunResult> Run(const v1::JobSpec& spec,
                                                   const engine::JobRunOptions& options) = 0;
};

}  // namespace ptune::agent

#endif  // PTUNE_WORKER_AGENT_RUNNER_H_
