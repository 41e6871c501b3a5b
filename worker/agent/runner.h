#ifndef PTUNE_WORKER_AGENT_RUNNER_H_
#define PTUNE_WORKER_AGENT_RUNNER_H_

// What the agent needs from a training engine, in the agent's own torch-free terms. The
// production implementation (engine_runner.h) calls engine::RunJob; tests substitute a
// scripted runner so the agent's protocol handling is tested without training anything.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ptune/v1/events.pb.h"
#include "ptune/v1/spec.pb.h"

namespace ptune::agent {

struct JobRunContext {
  // Where checkpoints and artifacts are written; the directory exists.
  std::string output_dir;
  // Bytes of the checkpoint to resume from ("" = fresh start) and its step.
  std::string resume_checkpoint;
  uint64_t resume_step = 0;
  // Device the job must use: "cpu" or "cuda:<index>".
  std::string device = "cpu";
  // Called from the job's thread for every telemetry event (job_id/seq left empty).
  std::function<void(v1::JobEvent)> emit;
  // Polled at step boundaries; true stops the job (cancel or worker shutdown).
  std::function<bool()> should_stop;
  // Called from the job's thread with each checkpoint the engine writes.
  std::function<void(uint64_t step, const std::string& bytes)> on_checkpoint;
};

struct JobRunOutcome {
  // True when should_stop ended the job early.
  bool stopped = false;
  uint64_t last_step = 0;
  std::map<std::string, double> final_metrics;
  // Files to upload as artifacts, relative to output_dir.
  std::vector<std::string> artifact_paths;
};

class JobRunner {
 public:
  virtual ~JobRunner() = default;
  // Runs one job to completion on the calling thread. Called concurrently from several
  // job threads. Errors carry a message a user can act on; they never throw.
  virtual absl::StatusOr<JobRunOutcome> Run(const v1::JobSpec& spec,
                                            const JobRunContext& context) = 0;
};

}  // namespace ptune::agent

#endif  // PTUNE_WORKER_AGENT_RUNNER_H_
