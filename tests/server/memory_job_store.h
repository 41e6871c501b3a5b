// An in-memory JobStore for deterministic tests of the scheduler core: commits queue
// up and nothing is applied until the test calls Flush(), which applies them in order
// and runs their callbacks on the calling thread. No threads, no timing.
#ifndef PTUNE_TESTS_SERVER_MEMORY_JOB_STORE_H_
#define PTUNE_TESTS_SERVER_MEMORY_JOB_STORE_H_

#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "server/store/job_store.h"

namespace ptune::server::testing {

class MemoryJobStore final : public JobStore {
 public:
  void Commit(StoreBatch batch, DoneCallback done) override;
  // Applies every queued batch (and those their callbacks commit), in order.
  void Flush() override;

  absl::StatusOr<std::vector<JobRecord>> LoadJobs() override;
  absl::StatusOr<std::vector<ptune::v1::JobEvent>> ReadEvents(const std::string& job_id,
                                                              uint64_t after_seq,
                                                              size_t limit) override;
  absl::StatusOr<JobBlob> ReadBlob(const std::string& job_id, const std::string& name) override;
  absl::StatusOr<std::vector<ptune::v1::WorkerInfo>> LoadWorkers() override;

  // The next batch applied fails with UNAVAILABLE and writes nothing.
  void FailNextCommit();
  // Every stored event of `job_id`, in seq order.
  std::vector<ptune::v1::JobEvent> Events(const std::string& job_id);

 private:
  struct Pending {
    StoreBatch batch;
    DoneCallback done;
  };

  std::mutex mu_;
  std::deque<Pending> queue_;
  bool fail_next_ = false;
  std::map<std::string, JobRecord> jobs_;
  std::map<std::string, std::map<uint64_t, ptune::v1::JobEvent>> events_;
  std::map<std::pair<std::string, std::string>, JobBlob> blobs_;
  std::map<std::string, ptune::v1::WorkerInfo> workers_;
};

}  // namespace ptune::server::testing

#endif  // PTUNE_TESTS_SERVER_MEMORY_JOB_STORE_H_
