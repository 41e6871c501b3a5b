#ifndef PTUNE_SERVER_JOB_TABLE_H_
#define PTUNE_SERVER_JOB_TABLE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "ptune/v1/job_service.pb.h"
#include "ptune/v1/worker_service.pb.h"
#include "server/caller.h"
#include "server/clock.h"
#include "server/step_marks.h"
#include "server/store/job_store.h"

namespace ptune::server {

// One job as the scheduler holds it: the persisted record and the runtime state of
// its current attempt.
struct JobEntry {
  JobRecord record;
  ptune::v1::Job& job() { return record.job; }
  const ptune::v1::Job& job() const { return record.job; }
  // False until the submit is committed: invisible to List, not dispatched.
  bool durable = false;
  // Decide which telemetry of a re-run attempt is new; rebuilt from the store at start.
  StepMarks marks;
  // A JobFinished that arrived before all its telemetry; applied once it is stored.
  std::optional<ptune::v1::JobFinished> pending_finish;
  Clock::TimePoint queued_at{};
  Clock::TimePoint cancel_sent{};
  // Latest checkpoint (active jobs only), sent with the next assignment.
  std::optional<JobBlob> checkpoint;
};

// The jobs the scheduler knows, by id, by submission order (ListJobs pages by it) and
// by (tenant, request_id) (SubmitJob's idempotency key).
//
// Not thread-safe: the JobManager's mutex guards it.
class JobTable {
 public:
  // Adds `entry`; its id, order and (tenant, request_id) must be new.
  JobEntry& Insert(std::unique_ptr<JobEntry> entry);
  void Erase(const std::string& job_id);

  // nullptr when unknown.
  JobEntry* Find(const std::string& job_id) const;
  // The job if `caller` may see it: another tenant's job is nullptr to a non-admin,
  // exactly like a missing one, so job ids leak nothing.
  JobEntry* FindVisible(const Caller& caller, const std::string& job_id) const;
  JobEntry* FindRequest(const std::string& tenant, const std::string& request_id) const;

  // The order of the next submitted job (after every inserted one).
  uint64_t NextOrder() const { return last_order_ + 1; }

  // A ListJobs page of the durable jobs `caller` sees, newest first. INVALID_ARGUMENT
  // for a negative page_size or a page_token not from a previous page.
  absl::StatusOr<ptune::v1::ListJobsResponse> List(const Caller& caller,
                                                   const ptune::v1::ListJobsRequest& request) const;

  void ForEach(const std::function<void(JobEntry&)>& visit);

 private:
  std::map<std::string, std::unique_ptr<JobEntry>> jobs_;
  std::map<uint64_t, JobEntry*, std::greater<uint64_t>> by_order_;
  std::map<std::pair<std::string, std::string>, JobEntry*> requests_;
  uint64_t last_order_ = 0;
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_JOB_TABLE_H_
