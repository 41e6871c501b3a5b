#ifndef PTUNE_SERVER_STORE_JOB_STORE_H_
#define PTUNE_SERVER_STORE_JOB_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ptune/v1/events.pb.h"
#include "ptune/v1/job_service.pb.h"

namespace ptune::server {

// A job as the scheduler persists it: the public Job plus the bookkeeping that makes
// restarts and at-least-once telemetry exact.
struct JobRecord {
  ptune::v1::Job job;
  // Submission order, unique and increasing; ListJobs pages by it.
  uint64_t order = 0;
  // Telemetry events of job.attempt() with index <= acked_index are stored.
  uint64_t acked_index = 0;
  // Highest StepRecord.step stored for the job over all attempts. Step records at or
  // below it are dropped so watchers never see a backward or duplicate step.
  uint64_t last_step = 0;
  // A running job whose cancel has not been acknowledged by its worker yet, and the
  // reason the cancel gave (the job's CANCELLED reason once the worker stops).
  bool cancel_requested = false;
  std::string cancel_reason;
  // SHA-256 (hex) of the spec as submitted: a repeated request_id must carry the same.
  std::string spec_fingerprint;
  // Attempts that ended with their worker's lease expiring (or the worker coming back
  // without the job): a job that keeps killing its worker is failed after a bound.
  uint32_t lost_leases = 0;
};

// A named blob of a job: the latest checkpoint (name "checkpoint") or an artifact.
struct JobBlob {
  std::string job_id;
  std::string name;
  uint64_t step = 0;  // checkpoints only
  std::string sha256;
  std::string data;
};

// Everything one Commit writes atomically (one transaction).
struct StoreBatch {
  std::vector<JobRecord> jobs;  // upserted by job id
  std::vector<ptune::v1::JobEvent> events;
  std::vector<JobBlob> blobs;  // a checkpoint replaces the job's previous one
  std::vector<ptune::v1::WorkerInfo> workers;
  bool empty() const { return jobs.empty() && events.empty() && blobs.empty() && workers.empty(); }
};

// Durable state of the scheduler. Implementations are thread-safe.
//
// Writes are asynchronous and ordered: batches are committed in the order Commit was
// called, several at a time in one transaction when they queue up (group commit), and
// each `done` runs after its batch is durable (or failed), on the store's writer
// thread, in commit order. `done` must not call Flush().
class JobStore {
 public:
  using DoneCallback = std::function<void(const absl::Status&)>;
  virtual ~JobStore() = default;

  virtual void Commit(StoreBatch batch, DoneCallback done) = 0;
  // Commits and waits until durable.
  absl::Status CommitSync(StoreBatch batch);
  // Waits until every batch committed so far is durable and its callback ran, including
  // batches those callbacks committed.
  virtual void Flush() = 0;

  // Every job, in submission order.
  virtual absl::StatusOr<std::vector<JobRecord>> LoadJobs() = 0;
  // Events of `job_id` with seq > after_seq, ascending, at most `limit`.
  virtual absl::StatusOr<std::vector<ptune::v1::JobEvent>> ReadEvents(const std::string& job_id,
                                                                      uint64_t after_seq,
                                                                      size_t limit) = 0;
  // The blob or NOT_FOUND.
  virtual absl::StatusOr<JobBlob> ReadBlob(const std::string& job_id, const std::string& name) = 0;
  virtual absl::StatusOr<std::vector<ptune::v1::WorkerInfo>> LoadWorkers() = 0;
};

// The name under which a job's latest checkpoint is stored and downloaded.
inline constexpr char kCheckpointBlob[] = "checkpoint";

}  // namespace ptune::server

#endif  // PTUNE_SERVER_STORE_JOB_STORE_H_
