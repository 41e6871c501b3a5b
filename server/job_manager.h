#ifndef PTUNE_SERVER_JOB_MANAGER_H_
#define PTUNE_SERVER_JOB_MANAGER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ptune/v1/job_service.pb.h"
#include "ptune/v1/worker_service.pb.h"
#include "server/event_hub.h"
#include "server/job_queue.h"
#include "server/metrics.h"
#include "server/store/job_store.h"

namespace ptune::server {

// Who is calling, as established by authentication.
struct Caller {
  std::string tenant = "default";
  // Sees and manages every tenant's jobs.
  bool admin = false;
};

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
  JobQueueOptions queue;
  // Largest checkpoint or artifact a worker may upload.
  size_t max_blob_bytes = 256u << 20;
};

// The interface the manager uses to talk to one connected worker stream.
class WorkerLink {
 public:
  virtual ~WorkerLink() = default;
  // Queues a message for the worker; never blocks.
  virtual void Send(const ptune::v1::SchedulerMessage& message) = 0;
  // Ends the stream with `status` (worker declared dead, replaced, protocol error).
  virtual void Close(const absl::Status& status) = 0;
};

// The scheduler's core: the job state machine, the queue, workers and their leases. It
// knows nothing about gRPC; the services translate calls into these methods. Every
// state change is written to the store (with its StateChange event) before anyone can
// observe it through a watch; submit is acknowledged only once durable.
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
  // RESOURCE_EXHAUSTED, UNAVAILABLE when the store failed, FAILED_PRECONDITION while
  // draining). A repeated request_id answers the existing job with existing = true.
  void Submit(const Caller& caller, const ptune::v1::SubmitJobRequest& request, SubmitDone done);
  absl::StatusOr<ptune::v1::Job> Get(const Caller& caller, const std::string& job_id) const;
  absl::StatusOr<ptune::v1::ListJobsResponse> List(const Caller& caller,
                                                   const ptune::v1::ListJobsRequest& request) const;
  // A queued job is cancelled at once; a running one is asked to stop through its
  // worker (the returned job is still RUNNING with a "cancelling" reason) and becomes
  // CANCELLED on the worker's acknowledgement or when the worker is declared dead.
  // FAILED_PRECONDITION for a finished job.
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
  // Expires leases and re-sends cancels; runs periodically on an internal thread.
  void CheckLeases();

  std::chrono::milliseconds heartbeat_interval() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Upload {
    uint32_t attempt = 0;
    uint64_t step = 0;
    std::string data;
  };
  struct JobEntry {
    JobRecord record;
    ptune::v1::Job& job() { return record.job; }
    // Not persisted: runtime state of the current attempt.
    bool durable = false;
    std::optional<ptune::v1::JobFinished> pending_finish;
    Clock::time_point queued_at = Clock::now();
    Clock::time_point cancel_sent{};
    // Latest checkpoint (active jobs only), sent with the next assignment.
    std::optional<JobBlob> checkpoint;
    std::optional<Upload> checkpoint_upload;
    std::map<std::string, Upload> artifact_uploads;
  };

  struct WorkerEntry {
    ptune::v1::WorkerInfo info;
    WorkerLink* link = nullptr;
    Clock::time_point last_seen = Clock::now();
    std::set<std::string> jobs;
    bool draining = false;
    size_t capacity() const {
      if (info.max_jobs() > 0) return info.max_jobs();
      size_t gpus = 0;
      for (const auto& device : info.devices()) {
        if (device.kind() == ptune::v1::DEVICE_KIND_CUDA) ++gpus;
      }
      return std::max<size_t>(1, gpus);
    }
  };

  JobManager(const JobManagerOptions& options, JobStore* store, EventHub* hub,
             SchedulerMetrics* metrics);
  absl::Status Restore();
  void ReaperLoop();

  // Helpers below run with mu_ held.
  JobEntry* FindVisible(const Caller& caller, const std::string& job_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AppendEvent(JobEntry& entry, ptune::v1::JobEvent event, StoreBatch* batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetState(JobEntry& entry, ptune::v1::JobState to, const std::string& reason,
                StoreBatch* batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CommitLocked(StoreBatch batch, std::function<void(const absl::Status&)> after = nullptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Dispatch() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Fits(const WorkerEntry& worker, const JobEntry& job) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Assign(JobEntry& job, WorkerEntry& worker) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes a running job off its worker: requeued (attempt + 1), FAILED after
  // max_attempts, or CANCELLED when a cancel was pending.
  void Requeue(JobEntry& job, const std::string& reason, StoreBatch* batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Release(JobEntry& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Finish(JobEntry& job, const ptune::v1::JobFinished& finished, StoreBatch* batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DeclareDead(WorkerEntry& worker, const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendTo(const std::string& worker_id, const ptune::v1::SchedulerMessage& message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendCancel(JobEntry& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
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
  // Appends a chunk at `offset`; false (upload discarded) when out of order or too big.
  bool AppendChunk(Upload& upload, uint64_t offset, const std::string& data)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateGauges() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const JobManagerOptions options_;
  JobStore* const store_;
  EventHub* const hub_;
  SchedulerMetrics* const metrics_;

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<JobEntry>> jobs_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, JobEntry*, std::greater<uint64_t>> by_order_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, std::string> requests_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<WorkerEntry>> workers_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<WorkerLink*, WorkerEntry*> links_ ABSL_GUARDED_BY(mu_);
  JobQueue queue_ ABSL_GUARDED_BY(mu_);
  uint64_t last_order_ ABSL_GUARDED_BY(mu_) = 0;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::condition_variable stop_cv_;

  std::thread reaper_;
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_JOB_MANAGER_H_
