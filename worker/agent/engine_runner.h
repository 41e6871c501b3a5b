#ifndef PTUNE_WORKER_AGENT_ENGINE_RUNNER_H_
#define PTUNE_WORKER_AGENT_ENGINE_RUNNER_H_

// The production JobRunner: engine::RunJob, with the worker's shared backbones.
// Torch-free header.

#include "worker/agent/runner.h"

namespace ptune::agent {

class EngineRunner : public JobRunner {
 public:
  // `backbones`: frozen models shared by every job this worker runs (so a backbone is
  // loaded once per worker, not once per job); null disables sharing. Not owned.
  explicit EngineRunner(engine::BackboneCache* backbones) : backbones_(backbones) {}

  absl::StatusOr<engine::JobRunResult> Run(const v1::JobSpec& spec,
                                           const engine::JobRunOptions& options) override;

  // Whether this LibTorch build can use CUDA at all (false for a CPU-only build, even on
  // a machine with GPUs): decides whether the worker offers its GPUs.
  static bool SupportsCuda();

 private:
  engine::BackboneCache* const backbones_;
};

}  // namespace ptune::agent

#endif  // PTUNE_WORKER_AGENT_ENGINE_RUNNER_H_
