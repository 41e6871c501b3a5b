#ifndef PTUNE_WORKER_AGENT_AGENT_JOB_H_
#define PTUNE_WORKER_AGENT_AGENT_JOB_H_

// The agent's record of one assigned job attempt. Private to worker_agent*.cc.

#include <atomic>
#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "worker/agent/telemetry_buffer.h"
#include "worker/agent/worker_agent.h"

namespace ptune::agent {

// Why a job was asked to stop; decides the JobFinished result of a stopped run.
enum class StopReason { kNone, kCancel, kPreempt, kSuperseded };

struct WorkerAgent::Job {
  Job(const v1::Assignment& assignment, const TelemetryBufferOptions& telemetry_options)
      : id(assignment.job_id()),
        attempt(assignment.attempt()),
        spec(assignment.spec()),
        resume_checkpoint(assignment.checkpoint()),
        resume_step(assignment.checkpoint_step()),
        telemetry(assignment.job_id(), assignment.attempt(), assignment.acked_index(),
                  telemetry_options),
        step(assignment.checkpoint_step()) {}

  // Constant after the assignment.
  const std::string id;
  const uint32_t attempt;
  const v1::JobSpec spec;
  const std::string resume_checkpoint;
  const uint64_t resume_step;
  int slot = -1;
  std::string device;
  std::string output_dir;
  std::thread thread;  // touched by the agent only, under mu_ or after removal

  // Read by the engine at every step boundary.
  std::atomic<StopReason> stop{StopReason::kNone};

  // Guarded by WorkerAgent::mu_.
  TelemetryBuffer telemetry;
  uint64_t step;  // latest step record seen
  // Messages for the current stream, in the order they must be written.
  std::deque<v1::WorkerMessage> outgoing;
  // The latest checkpoint's chunks, kept until the scheduler acknowledges its step so a
  // reconnect can upload it again.
  std::vector<v1::WorkerMessage> checkpoint;
  uint64_t checkpoint_step = 0;
  bool checkpoint_acked = true;
  // Artifact chunks, kept until the job is confirmed (re-sent after a reconnect).
  std::vector<v1::WorkerMessage> artifacts;
  // The result (last_index is filled when it is sent), set when the run ended.
  std::optional<v1::JobFinished> finished;
  bool finished_sent = false;
  bool cancel_ack_due = false;
  bool thread_done = false;
};

}  // namespace ptune::agent

#endif  // PTUNE_WORKER_AGENT_AGENT_JOB_H_
