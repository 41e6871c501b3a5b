// The job API of JobManager: submit, get, list, cancel, workers, blobs.
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/job_state.h"
#include "google/protobuf/util/time_util.h"
#include "server/digest.h"
#include "server/job_manager.h"
#include "server/submit_validation.h"

namespace ptune::server {

using google::protobuf::util::TimeUtil;
using ptune::v1::Job;

void JobManager::Submit(const Caller& caller, const ptune::v1::SubmitJobRequest& request,
                        SubmitDone done) {
  absl::StatusOr<ptune::v1::JobSpec> effective = ValidateSubmitRequest(request);
  if (!effective.ok()) {
    done(effective.status());
    return;
  }
  // Of the spec as submitted, not the effective one with defaults filled in: a repeat
  // compares what its client sent, whatever defaults this scheduler version applies.
  const std::string fingerprint = SpecFingerprint(request.spec());
  std::lock_guard<std::mutex> lock(mu_);
  if (const JobEntry* existing = jobs_.FindRequest(caller.tenant, request.request_id())) {
    if (existing->record.spec_fingerprint != fingerprint) {
      // An idempotency key names one request: answering another spec with the first
      // job would silently drop it.
      done(absl::AlreadyExistsError(
          absl::StrCat("request_id: \"", request.request_id(), "\" was already used for job ",
                       existing->job().id(), " with a different spec; use a new request_id")));
      return;
    }
    ptune::v1::SubmitJobResponse response;
    *response.mutable_job() = existing->job();
    response.set_existing(true);
    done(std::move(response));
    return;
  }
  if (draining_) {
    done(absl::UnavailableError("scheduler is shutting down; submit to another replica"));
    return;
  }
  if (absl::Status status = queue_.CheckAdmission(caller.tenant); !status.ok()) {
    done(status);
    return;
  }
  auto created = std::make_unique<JobEntry>();
  created->record.order = jobs_.NextOrder();
  created->record.spec_fingerprint = fingerprint;
  Job& job = created->job();
  job.set_id(absl::StrFormat("job-%06d", created->record.order));
  job.set_tenant(caller.tenant);
  job.set_request_id(request.request_id());
  *job.mutable_spec() = *std::move(effective);
  job.set_priority(request.priority());
  *job.mutable_labels() = request.labels();
  job.set_attempt(1);
  job.set_max_attempts(request.max_attempts() > 0 ? request.max_attempts()
                                                  : options_.default_max_attempts);
  *job.mutable_create_time() = TimeUtil::GetCurrentTime();
  StoreBatch batch;
  SetState(*created, ptune::v1::JOB_STATE_QUEUED, "submitted", &batch);
  batch.jobs.push_back(created->record);
  const std::string id = job.id();
  jobs_.Insert(std::move(created));
  CommitLocked(std::move(batch), [this, id, done = std::move(done)](const absl::Status& status) {
    absl::StatusOr<ptune::v1::SubmitJobResponse> response;
    {
      std::lock_guard<std::mutex> lock(mu_);
      JobEntry& entry = *jobs_.Find(id);
      if (!status.ok()) {
        jobs_.Erase(id);
        // The store's code stands: a full disk is RESOURCE_EXHAUSTED, a lost one UNAVAILABLE.
        response = absl::Status(status.code(), absl::StrCat("job not stored: ", status.message()));
      } else {
        entry.durable = true;
        metrics_->JobSubmitted();
        if (entry.job().state() == ptune::v1::JOB_STATE_QUEUED) {
          entry.queued_at = clock_->Now();
          queue_.Push({id, entry.job().tenant(), entry.job().priority(), entry.record.order});
          Dispatch();
          UpdateGauges();
        }
        ptune::v1::SubmitJobResponse ok;
        *ok.mutable_job() = entry.job();
        response = std::move(ok);
      }
    }
    done(std::move(response));
  });
}

absl::StatusOr<Job> JobManager::Get(const Caller& caller, const std::string& job_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const JobEntry* entry = jobs_.FindVisible(caller, job_id);
  if (entry == nullptr) return absl::NotFoundError(absl::StrCat("job ", job_id, " not found"));
  return entry->job();
}

absl::StatusOr<ptune::v1::ListJobsResponse> JobManager::List(
    const Caller& caller, const ptune::v1::ListJobsRequest& request) const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.List(caller, request);
}

absl::StatusOr<Job> JobManager::Cancel(const Caller& caller, const std::string& job_id,
                                       const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  JobEntry* entry = jobs_.FindVisible(caller, job_id);
  if (entry == nullptr) return absl::NotFoundError(absl::StrCat("job ", job_id, " not found"));
  Job& job = entry->job();
  const std::string why = reason.empty() ? "cancelled by " + caller.tenant : reason;
  if (IsFinal(job.state())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "job ", job_id, " already finished (", std::string(ShortStateName(job.state())), ")"));
  }
  StoreBatch batch;
  if (job.state() == ptune::v1::JOB_STATE_QUEUED) {
    queue_.Remove(job_id);
    SetState(*entry, ptune::v1::JOB_STATE_CANCELLED, why, &batch);
    entry->checkpoint.reset();
    metrics_->JobFinished("cancelled", 0);
  } else if (!entry->record.cancel_requested) {
    // The worker acknowledges later; the reason is kept as a field for then.
    entry->record.cancel_requested = true;
    entry->record.cancel_reason = why;
    job.set_state_reason(absl::StrCat("cancelling: ", why));
    ptune::v1::JobEvent log;
    log.mutable_log()->set_level(ptune::v1::LogLine::LEVEL_INFO);
    log.mutable_log()->set_message(absl::StrCat("cancel requested: ", why));
    AppendEvent(*entry, std::move(log), &batch);
    SendCancel(*entry);
  }
  batch.jobs.push_back(entry->record);
  CommitLocked(std::move(batch));
  UpdateGauges();
  return job;
}

ptune::v1::ListWorkersResponse JobManager::ListWorkers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return workers_.List();
}

absl::StatusOr<JobBlob> JobManager::GetBlob(const Caller& caller, const std::string& job_id,
                                            const std::string& name) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (jobs_.FindVisible(caller, job_id) == nullptr) {
      return absl::NotFoundError(absl::StrCat("job ", job_id, " not found"));
    }
  }
  absl::StatusOr<JobBlob> blob = store_->ReadBlob(job_id, name);
  if (absl::IsNotFound(blob.status())) {
    // The job in memory runs ahead of the store: an artifact (or a SUCCEEDED state) is
    // visible before its batch is durable. Wait for the commits in flight, look again.
    store_->Flush();
    blob = store_->ReadBlob(job_id, name);
  }
  return blob;
}

}  // namespace ptune::server
