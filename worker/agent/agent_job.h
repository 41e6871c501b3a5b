#ifndef PTUNE_WORKER_AGENT_AGENT_JOB_H_
#define PTUNE_WORKER_AGENT_AGENT_JOB_H_

// The agent's record of one assigned job attempt. Private to worker_agent*.cc.

#include <atomic>
#include <string>
#include <thread>

#include "worker/agent/job_attempt.h"
#include "worker/agent/worker_agent.h"
#include "worker/engine/telemetry.h"

namespace ptune::agent {

// Why a job was asked to stop; decides the JobFinished result of a stopped run.
enum class StopReason { kNone, kCancel, kPreempt, kSuperseded };

// The engine reports the job's events to the job itself (its TelemetrySink), which hands
// them to the agent.
struct WorkerAgent::Job : public engine::TelemetrySink {
  Job(WorkerAgent* agent, const v1::Assignment& assignment)
      : agent(agent),
        id(assignment.job_id()),
        attempt(assignment.attempt()),
        spec(assignment.spec()),
        resume_checkpoint(assignment.checkpoint()),
        resume_step(assignment.checkpoint_step()),
        traffic(assignment, agent->options_.telemetry) {}

  void Emit(v1::JobEvent event) override { agent->OnJobEvent(this, std::move(event)); }

  // Constant after the assignment.
  WorkerAgent* const agent;
  const std::string id;
  const uint32_t attempt;
  const v1::JobSpec spec;
  const std::string resume_checkpoint;
  const uint64_t resume_step;
  SlotPool::Slot slot;
  std::string output_dir;
  std::thread thread;  // touched by the agent only, under mu_ or after removal

  // Read by the engine at every step boundary (and between units of setup work).
  std::atomic<StopReason> stop{StopReason::kNone};

  // Guarded by WorkerAgent::mu_ (a member of another object, so not annotated).
  JobAttempt traffic;
  bool thread_done = false;
};

}  // namespace ptune::agent

#endif  // PTUNE_WORKER_AGENT_AGENT_JOB_H_
