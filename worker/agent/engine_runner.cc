// The agent's only torch translation unit.
#include "worker/agent/engine_runner.h"

#include <torch/cuda.h>

namespace ptune::agent {

absl::StatusOr<engine::JobRunResult> EngineRunner::Run(const v1::JobSpec& spec,
                                                       const engine::JobRunOptions& options) {
  engine::JobRunOptions with_cache = options;
  with_cache.backbones = backbones_;
  return engine::RunJob(spec, with_cache);
}

bool EngineRunner::SupportsCuda() { return torch::cuda::is_available(); }

}  // namespace ptune::agent
