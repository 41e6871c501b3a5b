#ifndef PTUNE_WORKER_AGENT_WORKER_AGENT_H_
#define PTUNE_WORKER_AGENT_WORKER_AGENT_H_

// The worker agent: keeps a stream to the scheduler open (reconnecting with jittered
// exponential backoff), runs each assigned job on its own thread in a free slot (one per
// GPU, or a configurable number on CPU), and delivers the job's telemetry, checkpoints,
// artifacts and result at least once.
//
// Jobs keep training while the scheduler is unreachable; each attempt's outgoing
// traffic waits in its JobAttempt (job_attempt.h: bounded telemetry, the latest
// checkpoint, artifacts and result), and after a reconnect the worker re-registers with
// the jobs it still holds and rewinds every attempt, so what the scheduler has not
// acknowledged or confirmed is sent again. Slots are a SlotPool (slot_pool.h).
//
// Threads: Run() is the connection pump (the only writer of the stream); the stream's
// reader thread handles scheduler messages; one thread per job. One mutex, mu_, guards
// the jobs, their attempts, the slots and the outbox.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/backoff.h"
#include "ptune/v1/worker_service.pb.h"
#include "worker/agent/runner.h"
#include "worker/agent/scheduler_stream.h"
#include "worker/agent/slot_pool.h"
#include "worker/agent/telemetry_buffer.h"
#include "worker/agent/worker_metrics.h"

namespace ptune::agent {

struct WorkerAgentOptions {
  // Stable id (reused across reconnects and restarts), hostname and version reported.
  std::string worker_id;
  std::string hostname;
  std::string version;
  std::map<std::string, std::string> labels;
  // Devices to register (DiscoverDevices()). One job slot per CUDA device; with none,
  // `cpu_slots` slots on the CPU.
  std::vector<v1::Device> devices;
  uint32_t cpu_slots = 1;
  // Per-attempt output directories are created under <work_dir>/jobs/.
  std::string work_dir;
  // Keep a job's directory after the scheduler confirmed it (default: delete it).
  bool keep_job_dirs = false;
  // Each job's bound on its working memory (engine::JobRunOptions::memory_limit_bytes;
  // 0 = none).
  uint64_t job_memory_limit_bytes = 0;
  SchedulerStreamOptions stream;  // token and connect timeout; callbacks are the agent's
  BackoffOptions backoff;
  TelemetryBufferOptions telemetry;
  // Checkpoint and artifact upload chunk size.
  size_t chunk_bytes = 1 << 20;
  // After Shutdown(): how long to wait for running jobs to checkpoint and for the
  // scheduler to confirm them before Run() returns anyway.
  std::chrono::milliseconds shutdown_timeout{30000};
  // Used until the scheduler's Registered says otherwise.
  std::chrono::milliseconds heartbeat_interval{5000};
  // Runs the jobs. Not owned; must outlive the agent.
  JobRunner* runner = nullptr;
  // Optional; not owned.
  WorkerMetrics* metrics = nullptr;
};

class WorkerAgent {
 public:
  // INVALID_ARGUMENT when an option is unusable (no runner, no worker id, work_dir not
  // creatable).
  static absl::StatusOr<std::unique_ptr<WorkerAgent>> Create(std::shared_ptr<grpc::Channel> channel,
                                                             WorkerAgentOptions options);

  // Joins every job thread (after stopping them).
  ~WorkerAgent();

  // Connects and serves until Shutdown() completes: returns OK once every job was
  // reported (or DEADLINE_EXCEEDED when shutdown_timeout passed first).
  absl::Status Run();

  // Stops taking work, stops running jobs at their next step boundary (they checkpoint
  // and are reported PREEMPTED so the scheduler requeues them at once). Thread-safe;
  // returns at once.
  void Shutdown();

  // True while a job thread is still inside the engine (after Run() returned on a
  // timeout, the process should exit without joining it).
  bool JobsStillRunning() const;

 private:
  struct Job;
  using Clock = std::chrono::steady_clock;

  WorkerAgent(std::shared_ptr<grpc::Channel> channel, WorkerAgentOptions options);

  // Connection pump.
  bool ConnectOnce();
  void Disconnect();
  void PumpConnected();
  std::vector<v1::WorkerMessage> GatherWrites(Clock::time_point now);
  v1::Register BuildRegister() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::WorkerMessage BuildHeartbeat() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PrepareResend() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool ShutdownComplete(Clock::time_point now);
  void ReapJobs();
  // Wakes the pump early: something is due on the stream.
  void WorkReady() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Scheduler messages (reader thread).
  void OnMessage(v1::SchedulerMessage message);
  void OnAssignment(const v1::Assignment& assignment);
  void OnCancel(const v1::CancelRequest& cancel);
  void OnTelemetryAck(const v1::TelemetryAck& ack);
  void OnCheckpointAck(const v1::CheckpointAck& ack);
  void RefuseAssignment(const v1::Assignment& assignment, const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Job threads.
  void RunJobThread(Job* job);
  void OnJobEvent(Job* job, v1::JobEvent event);
  void OnCheckpoint(Job* job, uint64_t step, const std::string& bytes);
  v1::JobFinished Finish(const Job& job, const absl::StatusOr<engine::JobRunResult>& outcome) const;
  // The upload chunks of the artifacts a run wrote; INTERNAL naming the file that could
  // not be read.
  absl::StatusOr<std::vector<v1::WorkerMessage>> ArtifactMessages(
      const Job& job, const engine::JobRunResult& result) const;

  void Log(const std::string& line) const;

  // Constant after construction.
  const WorkerAgentOptions options_;
  const std::shared_ptr<grpc::Channel> channel_;

  // Pump thread only.
  std::unique_ptr<SchedulerStream> stream_;
  Backoff backoff_;
  Clock::time_point next_heartbeat_;
  std::chrono::milliseconds heartbeat_interval_;
  bool ever_connected_ = false;

  mutable absl::Mutex mu_;
  absl::CondVar wake_;
  bool stream_broken_ ABSL_GUARDED_BY(mu_) = false;
  // Something to write appeared (checkpoint, result, ack); wakes the pump early.
  bool work_ready_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  // The scheduler was told (Heartbeat.draining) on the current stream.
  bool drain_announced_ ABSL_GUARDED_BY(mu_) = false;
  Clock::time_point drain_deadline_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<Job>> jobs_ ABSL_GUARDED_BY(mu_);  // by job id
  // Jobs replaced by a newer attempt of the same job: stopped, reported no more, joined
  // once their thread ends.
  std::vector<std::unique_ptr<Job>> retired_ ABSL_GUARDED_BY(mu_);
  SlotPool slots_ ABSL_GUARDED_BY(mu_);
  // Messages not tied to a running job (acks for unknown jobs, refusals).
  std::deque<v1::WorkerMessage> outbox_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ptune::agent

#endif  // PTUNE_WORKER_AGENT_WORKER_AGENT_H_
