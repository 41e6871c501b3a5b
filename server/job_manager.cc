#include "server/job_manager.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"
#include "server/log.h"
#include "server/submit_validation.h"

namespace ptune::server {

using google::protobuf::util::TimeUtil;
using ptune::v1::Job;
using ptune::v1::JobEvent;
using ptune::v1::JobState;

namespace {

bool IsFinal(JobState state) {
  return state == ptune::v1::JOB_STATE_SUCCEEDED || state == ptune::v1::JOB_STATE_FAILED ||
         state == ptune::v1::JOB_STATE_CANCELLED;
}

std::string ShortState(JobState state) {
  std::string name = ptune::v1::JobState_Name(state);
  return name.substr(std::string("JOB_STATE_").size());
}

}  // namespace

absl::StatusOr<std::unique_ptr<JobManager>> JobManager::Create(const JobManagerOptions& options,
                                                               JobStore* store, EventHub* hub,
                                                               SchedulerMetrics* metrics) {
  if (options.lease_timeout.count() <= 0) {
    return absl::InvalidArgumentError("lease_timeout: must be > 0");
  }
  if (options.default_max_attempts == 0) {
    return absl::InvalidArgumentError("max_attempts: must be >= 1");
  }
  std::unique_ptr<JobManager> manager(new JobManager(options, store, hub, metrics));
  if (absl::Status status = manager->Restore(); !status.ok()) return status;
  manager->reaper_ = std::thread([m = manager.get()] { m->ReaperLoop(); });
  return manager;
}

JobManager::JobManager(const JobManagerOptions& options, JobStore* store, EventHub* hub,
                       SchedulerMetrics* metrics)
    : options_(options), store_(store), hub_(hub), metrics_(metrics), queue_(options.queue) {}

JobManager::~JobManager() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  store_->Flush();
}

absl::Status JobManager::Restore() {
  absl::StatusOr<std::vector<JobRecord>> records = store_->LoadJobs();
  if (!records.ok()) return records.status();
  absl::StatusOr<std::vector<ptune::v1::WorkerInfo>> workers = store_->LoadWorkers();
  if (!workers.ok()) return workers.status();
  std::lock_guard<std::mutex> lock(mu_);
  for (ptune::v1::WorkerInfo& info : *workers) {
    auto worker = std::make_unique<WorkerEntry>();
    info.set_state(ptune::v1::WORKER_STATE_LOST);
    info.clear_job_ids();
    worker->info = std::move(info);
    workers_[worker->info.worker_id()] = std::move(worker);
  }
  for (JobRecord& record : *records) {
    auto entry = std::make_unique<JobEntry>();
    entry->record = std::move(record);
    entry->durable = true;
    Job& job = entry->job();
    last_order_ = std::max(last_order_, entry->record.order);
    requests_[{job.tenant(), job.request_id()}] = job.id();
    by_order_[entry->record.order] = entry.get();
    if (job.state() == ptune::v1::JOB_STATE_QUEUED) {
      queue_.Push({job.id(), job.tenant(), job.priority(), entry->record.order});
    } else if (job.state() == ptune::v1::JOB_STATE_RUNNING) {
      // Its worker has one lease from now to reconnect and claim it.
      auto& worker = workers_[job.worker_id()];
      if (worker == nullptr) {
        worker = std::make_unique<WorkerEntry>();
        worker->info.set_worker_id(job.worker_id());
      }
      worker->info.set_state(ptune::v1::WORKER_STATE_BUSY);
      worker->jobs.insert(job.id());
      worker->last_seen = Clock::now();
      queue_.AddRunning(job.tenant());
    }
    if (!IsFinal(job.state())) {
      absl::StatusOr<JobBlob> checkpoint = store_->ReadBlob(job.id(), kCheckpointBlob);
      if (checkpoint.ok()) {
        entry->checkpoint = *std::move(checkpoint);
      } else if (!absl::IsNotFound(checkpoint.status())) {
        return checkpoint.status();
      }
    }
    jobs_[job.id()] = std::move(entry);
  }
  UpdateGauges();
  return absl::OkStatus();
}

void JobManager::ReaperLoop() {
  const auto period =
      std::max(std::chrono::milliseconds(10),
               std::min(std::chrono::milliseconds(500), options_.lease_timeout / 5));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    stop_cv_.wait_for(lock, period, [&] { return stop_; });
    if (stop_) break;
    lock.unlock();
    CheckLeases();
    lock.lock();
  }
}

std::chrono::milliseconds JobManager::heartbeat_interval() const {
  if (options_.heartbeat_interval.count() > 0) return options_.heartbeat_interval;
  return std::max(std::chrono::milliseconds(1), options_.lease_timeout / 3);
}

// ---------------------------------------------------------------------------------------
// Events, state and the store.

void JobManager::AppendEvent(JobEntry& entry, JobEvent event, StoreBatch* batch) {
  Job& job = entry.job();
  event.set_job_id(job.id());
  event.set_seq(job.last_seq() + 1);
  job.set_last_seq(event.seq());
  if (!event.has_time()) *event.mutable_time() = TimeUtil::GetCurrentTime();
  if (event.attempt() == 0) event.set_attempt(job.attempt());
  batch->events.push_back(std::move(event));
}

void JobManager::SetState(JobEntry& entry, JobState to, const std::string& reason,
                          StoreBatch* batch) {
  Job& job = entry.job();
  JobEvent event;
  auto* change = event.mutable_state();
  change->set_from(job.state());
  change->set_to(to);
  change->set_reason(reason);
  change->set_worker_id(job.worker_id());
  if (to != ptune::v1::JOB_STATE_QUEUED || job.state() != ptune::v1::JOB_STATE_UNSPECIFIED) {
    // Submissions are counted by metrics, not logged: they can come thousands a second.
    Log("info", "job state",
        {{"job", job.id()},
         {"tenant", job.tenant()},
         {"from", ShortState(job.state())},
         {"to", ShortState(to)},
         {"attempt", std::to_string(job.attempt())},
         {"reason", reason}});
  }
  job.set_state(to);
  job.set_state_reason(reason);
  if (IsFinal(to)) *job.mutable_end_time() = TimeUtil::GetCurrentTime();
  AppendEvent(entry, std::move(event), batch);
}

void JobManager::CommitLocked(StoreBatch batch, std::function<void(const absl::Status&)> after) {
  if (batch.empty() && !after) return;
  // The events are encoded for watchers on the completion thread, not under mu_.
  std::vector<JobEvent> events = batch.events;
  if (!events.empty()) metrics_->EventsIngested(events.size());
  const Clock::time_point start = Clock::now();
  store_->Commit(std::move(batch), [this, events = std::move(events), after = std::move(after),
                                    start](const absl::Status& status) mutable {
    metrics_->StoreWrite(std::chrono::duration<double>(Clock::now() - start).count());
    // Only durable events reach watchers, so a watcher can always catch up from the
    // store and a reconnect never sees an event that a crash could take back.
    if (status.ok() && !events.empty()) {
      std::vector<SharedEvent> shared;
      shared.reserve(events.size());
      for (JobEvent& event : events) shared.push_back(MakeSharedEvent(std::move(event)));
      hub_->Publish(shared);
    }
    if (after) after(status);
  });
}

// ---------------------------------------------------------------------------------------
// Job API.

void JobManager::Submit(const Caller& caller, const ptune::v1::SubmitJobRequest& request,
                        SubmitDone done) {
  if (absl::Status status = ValidateSubmitRequest(request); !status.ok()) {
    done(status);
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto existing = requests_.find({caller.tenant, request.request_id()});
  if (existing != requests_.end()) {
    ptune::v1::SubmitJobResponse response;
    *response.mutable_job() = jobs_.at(existing->second)->job();
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
  auto entry = std::make_unique<JobEntry>();
  entry->record.order = ++last_order_;
  Job& job = entry->job();
  job.set_id(absl::StrFormat("job-%06d", entry->record.order));
  job.set_tenant(caller.tenant);
  job.set_request_id(request.request_id());
  *job.mutable_spec() = request.spec();
  job.set_priority(request.priority());
  *job.mutable_labels() = request.labels();
  job.set_attempt(1);
  job.set_max_attempts(request.max_attempts() > 0 ? request.max_attempts()
                                                  : options_.default_max_attempts);
  *job.mutable_create_time() = TimeUtil::GetCurrentTime();
  StoreBatch batch;
  SetState(*entry, ptune::v1::JOB_STATE_QUEUED, "submitted", &batch);
  batch.jobs.push_back(entry->record);
  JobEntry* raw = entry.get();
  const std::string id = job.id();
  requests_[{caller.tenant, request.request_id()}] = id;
  by_order_[raw->record.order] = raw;
  jobs_[id] = std::move(entry);
  CommitLocked(std::move(batch), [this, id, done = std::move(done)](const absl::Status& status) {
    absl::StatusOr<ptune::v1::SubmitJobResponse> response;
    {
      std::lock_guard<std::mutex> lock(mu_);
      JobEntry& entry = *jobs_.at(id);
      if (!status.ok()) {
        requests_.erase({entry.job().tenant(), entry.job().request_id()});
        by_order_.erase(entry.record.order);
        jobs_.erase(id);
        response = absl::UnavailableError(absl::StrCat("job not stored: ", status.message()));
      } else {
        entry.durable = true;
        metrics_->JobSubmitted();
        if (entry.job().state() == ptune::v1::JOB_STATE_QUEUED) {
          entry.queued_at = Clock::now();
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

JobManager::JobEntry* JobManager::FindVisible(const Caller& caller,
                                              const std::string& job_id) const {
  auto it = jobs_.find(job_id);
  // Another tenant's job is NOT_FOUND, exactly like a missing one, so ids leak nothing.
  if (it == jobs_.end() || (!caller.admin && it->second->job().tenant() != caller.tenant)) {
    return nullptr;
  }
  return it->second.get();
}

absl::StatusOr<Job> JobManager::Get(const Caller& caller, const std::string& job_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  JobEntry* entry = FindVisible(caller, job_id);
  if (entry == nullptr) return absl::NotFoundError(absl::StrCat("job ", job_id, " not found"));
  return entry->job();
}

absl::StatusOr<ptune::v1::ListJobsResponse> JobManager::List(
    const Caller& caller, const ptune::v1::ListJobsRequest& request) const {
  if (request.page_size() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be >= 0 (got ", request.page_size(), ")"));
  }
  const size_t page_size = request.page_size() == 0 ? 50 : std::min(request.page_size(), 1000);
  uint64_t before = UINT64_MAX;
  if (!request.page_token().empty() &&
      (request.page_token()[0] != 'o' ||
       !absl::SimpleAtoi(request.page_token().substr(1), &before))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_token: not a token from a previous ListJobs (got \"", request.page_token(), "\")"));
  }
  std::set<int> states(request.states().begin(), request.states().end());
  std::lock_guard<std::mutex> lock(mu_);
  ptune::v1::ListJobsResponse response;
  for (auto it = by_order_.upper_bound(before); it != by_order_.end(); ++it) {
    const Job& job = it->second->record.job;
    if (!it->second->durable || (!caller.admin && job.tenant() != caller.tenant)) continue;
    if (!states.empty() && states.count(job.state()) == 0) continue;
    bool labels_match = true;
    for (const auto& [key, value] : request.labels()) {
      auto label = job.labels().find(key);
      labels_match = labels_match && label != job.labels().end() && label->second == value;
    }
    if (!labels_match) continue;
    if (static_cast<size_t>(response.jobs_size()) == page_size) {
      // One more match exists: the page is full and there is a next one.
      response.set_next_page_token(absl::StrCat("o", before));
      break;
    }
    *response.add_jobs() = job;
    before = it->first;
  }
  return response;
}

absl::StatusOr<Job> JobManager::Cancel(const Caller& caller, const std::string& job_id,
                                       const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  JobEntry* entry = FindVisible(caller, job_id);
  if (entry == nullptr) return absl::NotFoundError(absl::StrCat("job ", job_id, " not found"));
  Job& job = entry->job();
  const std::string why = reason.empty() ? "cancelled by " + caller.tenant : reason;
  if (IsFinal(job.state())) {
    return absl::FailedPreconditionError(
        absl::StrCat("job ", job_id, " already finished (", ShortState(job.state()), ")"));
  }
  StoreBatch batch;
  if (job.state() == ptune::v1::JOB_STATE_QUEUED) {
    queue_.Remove(job_id);
    SetState(*entry, ptune::v1::JOB_STATE_CANCELLED, why, &batch);
    entry->checkpoint.reset();
    metrics_->JobFinished("cancelled", 0);
  } else if (!entry->record.cancel_requested) {
    entry->record.cancel_requested = true;
    job.set_state_reason(absl::StrCat("cancelling: ", why));
    JobEvent log;
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
  ptune::v1::ListWorkersResponse response;
  for (const auto& [id, worker] : workers_) {
    ptune::v1::WorkerInfo& info = *response.add_workers();
    info = worker->info;
    info.clear_job_ids();
    for (const std::string& job : worker->jobs) info.add_job_ids(job);
  }
  return response;
}

absl::StatusOr<JobBlob> JobManager::GetBlob(const Caller& caller, const std::string& job_id,
                                            const std::string& name) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (FindVisible(caller, job_id) == nullptr) {
      return absl::NotFoundError(absl::StrCat("job ", job_id, " not found"));
    }
  }
  return store_->ReadBlob(job_id, name);
}

// ---------------------------------------------------------------------------------------
// Dispatch.

bool JobManager::Fits(const WorkerEntry& worker, const JobEntry& entry) const {
  const auto& resources = entry.record.job.spec().resources();
  for (const auto& [key, value] : resources.worker_labels()) {
    auto label = worker.info.labels().find(key);
    if (label == worker.info.labels().end() || label->second != value) return false;
  }
  if (resources.device() != ptune::v1::DEVICE_KIND_CUDA) return true;
  for (const auto& device : worker.info.devices()) {
    if (device.kind() != ptune::v1::DEVICE_KIND_CUDA) continue;
    const uint64_t memory =
        device.free_memory_bytes() > 0 ? device.free_memory_bytes() : device.total_memory_bytes();
    if (memory >= resources.min_gpu_memory_bytes()) return true;
  }
  return false;
}

void JobManager::Dispatch() {
  if (draining_) return;
  for (auto& [id, worker] : workers_) {
    if (worker->link == nullptr || worker->draining) continue;
    while (worker->jobs.size() < worker->capacity()) {
      std::optional<JobQueue::Entry> next = queue_.PopNext(
          [&](const JobQueue::Entry& e) { return Fits(*worker, *jobs_.at(e.job_id)); });
      if (!next) break;
      Assign(*jobs_.at(next->job_id), *worker);
    }
  }
}

void JobManager::Assign(JobEntry& entry, WorkerEntry& worker) {
  Job& job = entry.job();
  job.set_worker_id(worker.info.worker_id());
  *job.mutable_start_time() = TimeUtil::GetCurrentTime();
  entry.record.acked_index = 0;
  entry.pending_finish.reset();
  StoreBatch batch;
  SetState(entry, ptune::v1::JOB_STATE_RUNNING,
           absl::StrCat("assigned to worker ", worker.info.worker_id(), " (attempt ", job.attempt(),
                        " of ", job.max_attempts(), ")"),
           &batch);
  batch.jobs.push_back(entry.record);
  worker.jobs.insert(job.id());
  worker.info.set_state(ptune::v1::WORKER_STATE_BUSY);
  metrics_->QueueWait(std::chrono::duration<double>(Clock::now() - entry.queued_at).count());
  ptune::v1::SchedulerMessage message;
  auto* assignment = message.mutable_assignment();
  assignment->set_job_id(job.id());
  assignment->set_attempt(job.attempt());
  *assignment->mutable_spec() = job.spec();
  if (entry.checkpoint) {
    assignment->set_checkpoint(entry.checkpoint->data);
    assignment->set_checkpoint_step(entry.checkpoint->step);
  }
  // Sent before the RUNNING row is durable: if the scheduler dies in between, the
  // worker's reconnect lists a job the store has QUEUED, and it is told to cancel it.
  worker.link->Send(message);
  CommitLocked(std::move(batch));
}

void JobManager::Release(JobEntry& entry) {
  Job& job = entry.job();
  auto worker = workers_.find(job.worker_id());
  if (worker != workers_.end()) {
    worker->second->jobs.erase(job.id());
    if (worker->second->jobs.empty() &&
        worker->second->info.state() == ptune::v1::WORKER_STATE_BUSY) {
      worker->second->info.set_state(ptune::v1::WORKER_STATE_IDLE);
    }
  }
  queue_.RemoveRunning(job.tenant());
  entry.pending_finish.reset();
  entry.checkpoint_upload.reset();
  entry.artifact_uploads.clear();
}

void JobManager::Requeue(JobEntry& entry, const std::string& reason, StoreBatch* batch) {
  Job& job = entry.job();
  Release(entry);
  if (entry.record.cancel_requested) {
    SetState(entry, ptune::v1::JOB_STATE_CANCELLED,
             absl::StrCat(reason, "; cancelled (the cancel was pending)"), batch);
    metrics_->JobFinished("cancelled", 0);
  } else if (job.attempt() >= job.max_attempts()) {
    SetState(entry, ptune::v1::JOB_STATE_FAILED,
             absl::StrCat(reason, "; giving up after ", job.attempt(), " attempts"), batch);
    metrics_->JobFinished("failed", 0);
  } else {
    SetState(
        entry, ptune::v1::JOB_STATE_QUEUED,
        absl::StrCat(reason, "; requeued for attempt ", job.attempt() + 1, " from ",
                     entry.checkpoint ? absl::StrCat("checkpoint at step ", entry.checkpoint->step)
                                      : std::string("the start")),
        batch);
    job.set_attempt(job.attempt() + 1);
    job.clear_worker_id();
    entry.record.acked_index = 0;
    entry.queued_at = Clock::now();
    queue_.Push({job.id(), job.tenant(), job.priority(), entry.record.order});
  }
  if (IsFinal(job.state())) entry.checkpoint.reset();
  batch->jobs.push_back(entry.record);
}

void JobManager::Drain(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  draining_ = true;
  ptune::v1::SchedulerMessage message;
  message.mutable_drain()->set_reason(reason);
  for (auto& [id, worker] : workers_) {
    if (worker->link != nullptr) worker->link->Send(message);
  }
}

void JobManager::UpdateGauges() {
  metrics_->SetQueueDepth(queue_.DepthByPriority());
  std::map<std::string, size_t> by_state{{"idle", 0}, {"busy", 0}, {"draining", 0}, {"lost", 0}};
  for (const auto& [id, worker] : workers_) {
    switch (worker->info.state()) {
      case ptune::v1::WORKER_STATE_BUSY:
        ++by_state["busy"];
        break;
      case ptune::v1::WORKER_STATE_DRAINING:
        ++by_state["draining"];
        break;
      case ptune::v1::WORKER_STATE_LOST:
        ++by_state["lost"];
        break;
      default:
        ++by_state["idle"];
        break;
    }
  }
  metrics_->SetWorkers(by_state);
}

}  // namespace ptune::server
