#include "tests/server/memory_job_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ptune::server::testing {

void MemoryJobStore::Commit(StoreBatch batch, DoneCallback done) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back(Pending{std::move(batch), std::move(done)});
}

void MemoryJobStore::Flush() {
  for (;;) {
    Pending pending;
    absl::Status status;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty()) return;
      pending = std::move(queue_.front());
      queue_.pop_front();
      if (fail_next_) {
        fail_next_ = false;
        status = absl::UnavailableError("memory store: injected failure");
      } else {
        for (const JobRecord& record : pending.batch.jobs) jobs_[record.job.id()] = record;
        for (const auto& event : pending.batch.events) {
          events_[event.job_id()][event.seq()] = event;
        }
        for (const JobBlob& blob : pending.batch.blobs) blobs_[{blob.job_id, blob.name}] = blob;
        for (const auto& worker : pending.batch.workers) workers_[worker.worker_id()] = worker;
      }
    }
    // Without the lock: callbacks take the manager's lock and may commit again.
    if (pending.done) pending.done(status);
  }
}

absl::StatusOr<std::vector<JobRecord>> MemoryJobStore::LoadJobs() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<JobRecord> records;
  for (const auto& [id, record] : jobs_) records.push_back(record);
  std::sort(records.begin(), records.end(),
            [](const JobRecord& a, const JobRecord& b) { return a.order < b.order; });
  return records;
}

absl::StatusOr<std::vector<ptune::v1::JobEvent>> MemoryJobStore::ReadEvents(
    const std::string& job_id, uint64_t after_seq, size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ptune::v1::JobEvent> events;
  auto job = events_.find(job_id);
  if (job == events_.end()) return events;
  for (auto it = job->second.upper_bound(after_seq);
       it != job->second.end() && events.size() < limit; ++it) {
    events.push_back(it->second);
  }
  return events;
}

absl::StatusOr<JobBlob> MemoryJobStore::ReadBlob(const std::string& job_id,
                                                 const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = blobs_.find({job_id, name});
  if (it == blobs_.end()) {
    return absl::NotFoundError(absl::StrCat("job ", job_id, " has no artifact \"", name, "\""));
  }
  return it->second;
}

absl::StatusOr<std::vector<ptune::v1::WorkerInfo>> MemoryJobStore::LoadWorkers() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ptune::v1::WorkerInfo> workers;
  for (const auto& [id, info] : workers_) workers.push_back(info);
  return workers;
}

void MemoryJobStore::FailNextCommit() {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_ = true;
}

std::vector<ptune::v1::JobEvent> MemoryJobStore::Events(const std::string& job_id) {
  absl::StatusOr<std::vector<ptune::v1::JobEvent>> events = ReadEvents(job_id, 0, SIZE_MAX);
  return *events;
}

}  // namespace ptune::server::testing
