#ifndef PTUNE_SERVER_JOB_MANAGER_H_
#define PTUNE_SERVER_JOB_MANAGER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ptune/v1/job_service.pb.h"
#include "ptune/v1/worker_service.pb.h"
#include "server/caller.h"
#include "server/clock.h"
#include "server/event_hub.h"
#include "server/job_queue.h"
#include "server/job_table.h"
#include "server/metrics.h"
#include "server/store/job_store.h"
#include "server/upload_assembler.h"
#include "server/worker_link.h"
#include "server/worker_registry.h"

namespace ptune::server {

struct JobManagerOptions {
  // A worker silent (no message, or disconnected) for this long is declared dead and
  // its jobs are requeued from their latest checkpoint.
  std::chrono::milliseconds lease_timeout{30000};
  // Heartbeat interval told to workers; 0: a third of the lease.
  std::chrono::milliseconds heartbeat_interval{0};
  // How often an unacknowledged cancel is re-sent; 0: a quarter of the lease.
  std::chrono::milliseconds cancel_retry{0};
  // Attempts of a job when SubmitJobRequest.max_attempts is 0.
  uint32_t default_max_attempts = 3;
  // A job whose worker is lost (lease expired, or it came back without the job) this
  // many times is FAILED instead of requeued; 0: no limit (max_attempts still holds).
  uint32_t max_lost_leases = 2;
  JobQueueOptions queue;
  // Largest checkpoint or artifact a worker may upload.
  size_t max_blob_bytes = 256u << 20;
  // The time leases are measured on; nullptr: RealClock(). Must outlive the manager.
  Clock* clock = nullptr;
  // Whether an internal thread calls CheckLeases periodically. Tests that move a fake
  // clock turn it off and call CheckLeases themselves.
  bool background_lease_checks = true;
};

// The scheduler's core: the job state machine. It knows nothing about gRPC; the
// services translate calls into these methods. Every state change is written to the
// store (with its StateChange event) before anyone can observe it through a watch;
// submit is acknowledged only once durable.
//
// Like LevelDB's DBImpl it keeps plain, single-threaded parts under its one mutex: the
// JobTable (jobs and their indexes), the JobQueue, the WorkerRegistry (links,
// capacity, leases) and the UploadAssembler; the state transitions (SetState, Assign,
// Requeue, Finish, Dispatch) live here. The code is split over job_manager.cc (state
// machine), job_manager_api.cc (the job API) and job_manager_workers.cc (the worker
// protocol).
//
// Thread-safe. Callbacks into WorkerLink run under the manager's lock, so links must
// not call back into the manager from Send/Close.
class JobManager {
 public:
  // Loads every job from `store` and restores the queue; running jobs wait for their
  // worker to reconnect within the lease, else they are requeued. `store`, `hub` and
  // `metrics` must outlive the manager.
  static absl::StatusOr<std::unique_ptr<JobManager>> Create(const JobManagerOptions& options,
                                                            JobStore* store, EventHub* hub,
                                                            SchedulerMetrics* metrics);
  ~JobManager();

  // --- Job API. Jobs of other tenants are NOT_FOUND to non-admin callers. ---

  using SubmitDone = std::function<void(absl::StatusOr<ptune::v1::SubmitJobResponse>)>;
  // Calls `done` once the job is durable (or with the error: INVALID_ARGUMENT,
  // RESOURCE_EXHAUSTED, UNAVAILABLE when the store failed or while draining). A
  // repeated request_id with the same spec answers the existing job with existing =
  // true; with another spec it is ALREADY_EXISTS naming request_id.
  void Submit(const Caller& caller, const ptune::v1::SubmitJobRequest& request, SubmitDone done);
  absl::StatusOr<ptune::v1::Job> Get(const Caller& caller, const std::string& job_id) const;
  absl::StatusOr<ptune::v1::ListJobsResponse> List(const Caller& caller,
                                                   const ptune::v1::ListJobsRequest& request) const;
  // A queued job is cancelled at once; a running one is asked to stop through its
  // worker (the returned job is still RUNNING with a "cancelling: <reason>" reason) and
  // becomes CANCELLED with `reason` on the worker's acknowledgement, or when the worker
  // is declared dead. FAILED_PRECONDITION for a finished job.
  absl::StatusOr<ptune::v1::Job> Cancel(const Caller& caller, const std::string& job_id,
                                        const std::string& reason);
  ptune::v1::ListWorkersResponse ListWorkers() const;
  // A stored blob of a visible job (kCheckpointBlob or an artifact name).
  absl::StatusOr<JobBlob> GetBlob(const Caller& caller, const std::string& job_id,
                                  const std::string& name) const;

  // --- Worker protocol (see worker_service.proto). ---

  // A stream's first message. INVALID_ARGUMENT for a missing worker_id. Sends
  // Registered, reconciles the worker's running jobs and dispatches.
  absl::Status RegisterWorker(WorkerLink* link, const ptune::v1::Register& request);
  // Every later message of a registered link.
  void HandleWorkerMessage(WorkerLink* link, const ptune::v1::WorkerMessage& message);
  // The stream ended; the worker's jobs stay assigned until its lease expires.
  void WorkerDisconnected(WorkerLink* link);

  // Stops dispatching and tells every worker to take no new work.
  void Drain(const std::string& reason);
  // Expires leases (at the clock's now) and re-sends cancels; runs periodically on an
  // internal thread unless background_lease_checks is off.
  void CheckLeases();

  std::chrono::milliseconds heartbeat_interval() const;

 private:
  enum class RequeueCause { kPreempted, kWorkerLost };

  JobManager(const JobManagerOptions& options, JobStore* store, EventHub* hub,
             SchedulerMetrics* metrics);
  absl::Status Restore();
  // Admits the stored events of a non-final job into its marks.
  absl::Status RestoreMarks(JobEntry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReaperLoop();

  // State machine (job_manager.cc); everything below runs with mu_ held.
  void AppendEvent(JobEntry& entry, ptune::v1::JobEvent event, StoreBatch* batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetState(JobEntry& entry, ptune::v1::JobState to, const std::string& reason,
                StoreBatch* batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Commits `batch`; its events reach watchers once durable, then `after` runs.
  void CommitLocked(StoreBatch batch, std::function<void(const absl::Status&)> after = nullptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Dispatch() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Assign(JobEntry& job, WorkerEntry& worker) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes a running job off its worker: requeued (attempt + 1), FAILED after
  // max_attempts or max_lost_leases, or CANCELLED when a cancel was pending.
  void Requeue(JobEntry& job, const std::string& reason, RequeueCause cause, StoreBatch* batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Release(JobEntry& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Finish(JobEntry& job, const ptune::v1::JobFinished& finished, StoreBatch* batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Finishes, commits, dispatches to the freed slot and updates the gauges.
  void FinishAndDispatch(JobEntry& job, const ptune::v1::JobFinished& finished)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateGauges() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Worker protocol (job_manager_workers.cc).
  void DeclareDead(WorkerEntry& worker, const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendCancel(JobEntry& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Tells a worker to stop a job that is not its (any more).
  void SendStaleCancel(WorkerLink* link, const std::string& job_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  JobEntry* OwnedJob(const WorkerEntry& worker, const std::string& job_id, uint32_t attempt)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnHeartbeat(WorkerEntry& worker, const ptune::v1::Heartbeat& heartbeat)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnTelemetry(WorkerEntry& worker, const ptune::v1::TelemetryBatch& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnCheckpoint(WorkerEntry& worker, const ptune::v1::CheckpointUpload& chunk)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnArtifact(WorkerEntry& worker, const ptune::v1::ArtifactUpload& chunk)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnFinished(WorkerEntry& worker, const ptune::v1::JobFinished& finished)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnCancelAck(WorkerEntry& worker, const ptune::v1::CancelAck& ack)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const JobManagerOptions options_;
  JobStore* const store_;
  EventHub* const hub_;
  SchedulerMetrics* const metrics_;
  Clock* const clock_;

  mutable std::mutex mu_;
  JobTable jobs_ ABSL_GUARDED_BY(mu_);
  JobQueue queue_ ABSL_GUARDED_BY(mu_);
  WorkerRegistry workers_ ABSL_GUARDED_BY(mu_);
  UploadAssembler uploads_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::condition_variable stop_cv_;

  std::thread reaper_;
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_JOB_MANAGER_H_
