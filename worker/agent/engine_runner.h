#ifndef PTUNE_WORKER_AGENT_ENGINE_RUNNER_H_
#define PTUNE_WORKER_AGENT_ENGINE_RUNNER_H_

// The production JobRunner: engine::RunJob. Torch-free header.

#include <memory>

#include "worker/agent/runner.h"

namespace ptune::engine {
class BackboneCache;
}

namespace ptune::agent {

class EngineRunner : public JobRunner {
 public:
  // `backbones`: frozen models shared by every job this worker runs (so a backbone is
  // loaded once per worker, not once per job); null disables sharing. Not owned.
  explicit EngineRunner(engine::BackboneCache* backbones) : backbones_(backbones) {}

  absl::StatusOr<JobRunOutcome> Run(const v1::JobSpec& spec, const JobRunContext& context) override;

 private:
  engine::BackboneCache* const backbones_;
};

}  // namespace ptune::agent

#endif  // PTUNE_WORKER_AGENT_ENGINE_RUNNER_H_
