// The JobManager's state machine: restore, events and state changes, commits,
// dispatch, requeue and finish.
#include "server/job_manager.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/job_state.h"
#include "common/log.h"
#include "common/spec_defaults.h"
#include "google/protobuf/util/time_util.h"
#include "server/digest.h"

namespace ptune::server {

using google::protobuf::util::TimeUtil;
using ptune::v1::Job;
using ptune::v1::JobEvent;
using ptune::v1::JobState;

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
  if (options.background_lease_checks) {
    manager->reaper_ = std::thread([m = manager.get()] { m->ReaperLoop(); });
  }
  return manager;
}

JobManager::JobManager(const JobManagerOptions& options, JobStore* store, EventHub* hub,
                       SchedulerMetrics* metrics)
    : options_(options),
      store_(store),
      hub_(hub),
      metrics_(metrics),
      clock_(options.clock != nullptr ? options.clock : RealClock()),
      queue_(options.queue),
      uploads_(options.max_blob_bytes) {}

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
  const Clock::TimePoint now = clock_->Now();
  for (ptune::v1::WorkerInfo& info : *workers) {
    WorkerEntry& worker = workers_.GetOrAdd(info.worker_id());
    info.set_state(ptune::v1::WORKER_STATE_LOST);
    info.clear_job_ids();
    worker.info = std::move(info);
  }
  for (JobRecord& record : *records) {
    auto entry = std::make_unique<JobEntry>();
    entry->record = std::move(record);
    entry->durable = true;
    entry->queued_at = now;
    Job& job = entry->job();
    // Rows written before fingerprints were stored hold the spec as submitted.
    if (entry->record.spec_fingerprint.empty()) {
      entry->record.spec_fingerprint = SpecFingerprint(job.spec());
    }
    // Rows stored before the scheduler applied defaults at submit hold the raw spec;
    // workers run only effective specs. Idempotent for rows stored since.
    if (!IsFinal(job.state())) ApplySpecDefaults(job.mutable_spec());
    // Schema-1 rows kept a pending cancel's reason only inside the state reason.
    if (entry->record.cancel_requested && entry->record.cancel_reason.empty()) {
      entry->record.cancel_reason =
          std::string(absl::StripPrefix(job.state_reason(), "cancelling: "));
    }
    if (job.state() == ptune::v1::JOB_STATE_QUEUED) {
      queue_.Push({job.id(), job.tenant(), job.priority(), entry->record.order});
    } else if (job.state() == ptune::v1::JOB_STATE_RUNNING) {
      // Its worker has one lease from now to reconnect and claim it.
      WorkerEntry& worker = workers_.GetOrAdd(job.worker_id());
      worker.info.set_state(ptune::v1::WORKER_STATE_BUSY);
      worker.jobs.insert(job.id());
      worker.last_seen = now;
      queue_.AddRunning(job.tenant());
    }
    if (!IsFinal(job.state())) {
      if (absl::Status status = RestoreMarks(*entry); !status.ok()) return status;
      absl::StatusOr<JobBlob> checkpoint = store_->ReadBlob(job.id(), kCheckpointBlob);
      if (checkpoint.ok()) {
        entry->checkpoint = *std::move(checkpoint);
      } else if (!absl::IsNotFound(checkpoint.status())) {
        return checkpoint.status();
      }
    }
    jobs_.Insert(std::move(entry));
  }
  UpdateGauges();
  return absl::OkStatus();
}

absl::Status JobManager::RestoreMarks(JobEntry& entry) {
  constexpr size_t kPage = 1024;
  uint64_t after = 0;
  for (;;) {
    absl::StatusOr<std::vector<JobEvent>> events =
        store_->ReadEvents(entry.job().id(), after, kPage);
    if (!events.ok()) return events.status();
    for (const JobEvent& event : *events) entry.marks.Admit(event);
    if (events->size() < kPage) return absl::OkStatus();
    after = events->back().seq();
  }
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
         {"from", std::string(ShortStateName(job.state()))},
         {"to", std::string(ShortStateName(to))},
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
  // The events are encoded for watchers by the hub on the completion thread, not here.
  std::vector<JobEvent> events = batch.events;
  if (!events.empty()) metrics_->EventsIngested(events.size());
  const Clock::TimePoint start = clock_->Now();
  store_->Commit(std::move(batch), [this, events = std::move(events), after = std::move(after),
                                    start](const absl::Status& status) mutable {
    metrics_->StoreWrite(std::chrono::duration<double>(clock_->Now() - start).count());
    // Only durable events reach watchers, so a watcher can always catch up from the
    // store and a reconnect never sees an event that a crash could take back.
    if (status.ok() && !events.empty()) hub_->Publish(std::move(events));
    if (after) after(status);
  });
}

// ---------------------------------------------------------------------------------------
// Dispatch and the end of attempts.

void JobManager::Dispatch() {
  if (draining_) return;
  workers_.ForEach([&](WorkerEntry& worker) {
    while (worker.accepts_work()) {
      std::optional<JobQueue::Entry> next = queue_.PopNext([&](const JobQueue::Entry& e) {
        return CanRun(worker.info, jobs_.Find(e.job_id)->job().spec());
      });
      if (!next) break;
      Assign(*jobs_.Find(next->job_id), worker);
    }
  });
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
  metrics_->QueueWait(std::chrono::duration<double>(clock_->Now() - entry.queued_at).count());
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
  workers_.ReleaseJob(entry.job().worker_id(), entry.job().id());
  queue_.RemoveRunning(entry.job().tenant());
  entry.pending_finish.reset();
  uploads_.Discard(entry.job().id());
}

void JobManager::Requeue(JobEntry& entry, const std::string& reason, RequeueCause cause,
                         StoreBatch* batch) {
  Job& job = entry.job();
  JobRecord& record = entry.record;
  Release(entry);
  if (cause == RequeueCause::kWorkerLost) ++record.lost_leases;
  const uint32_t max_lost = options_.max_lost_leases;
  if (record.cancel_requested) {
    SetState(entry, ptune::v1::JOB_STATE_CANCELLED,
             absl::StrCat(reason, "; cancelled (the cancel was pending)"), batch);
    metrics_->JobFinished("cancelled", 0);
  } else if (cause == RequeueCause::kWorkerLost && max_lost > 0 && record.lost_leases >= max_lost) {
    // A job that takes its worker down (memory, a crash in setup) would otherwise take
    // every next worker down too.
    SetState(entry, ptune::v1::JOB_STATE_FAILED,
             absl::StrCat(reason, "; giving up: the job lost its worker ", record.lost_leases,
                          " times (limit ", max_lost, ", --max-lost-leases)"),
             batch);
    metrics_->JobFinished("failed", 0);
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
    record.acked_index = 0;
    entry.queued_at = clock_->Now();
    queue_.Push({job.id(), job.tenant(), job.priority(), record.order});
  }
  if (IsFinal(job.state())) entry.checkpoint.reset();
  batch->jobs.push_back(record);
}

void JobManager::Finish(JobEntry& entry, const ptune::v1::JobFinished& finished,
                        StoreBatch* batch) {
  using Result = ptune::v1::JobFinished;
  Job& job = entry.job();
  if (finished.result() == Result::RESULT_PREEMPTED) {
    Requeue(entry, absl::StrCat("preempted on worker ", job.worker_id(), ": ", finished.reason()),
            RequeueCause::kPreempted, batch);
    return;
  }
  Release(entry);
  *job.mutable_final_metrics() = finished.final_metrics();
  std::string result;
  switch (finished.result()) {
    case Result::RESULT_SUCCEEDED:
      result = "succeeded";
      SetState(entry, ptune::v1::JOB_STATE_SUCCEEDED,
               finished.reason().empty() ? "completed" : finished.reason(), batch);
      break;
    case Result::RESULT_CANCELLED:
      result = "cancelled";
      SetState(entry, ptune::v1::JOB_STATE_CANCELLED,
               finished.reason().empty() ? "cancelled on the worker" : finished.reason(), batch);
      break;
    default:
      result = "failed";
      SetState(entry, ptune::v1::JOB_STATE_FAILED,
               finished.reason().empty() ? "the worker reported a failure without a reason"
                                         : finished.reason(),
               batch);
  }
  entry.checkpoint.reset();
  const double seconds =
      std::max<int64_t>(0, TimeUtil::DurationToMilliseconds(job.end_time() - job.create_time())) /
      1000.0;
  metrics_->JobFinished(result, seconds);
  batch->jobs.push_back(entry.record);
}

void JobManager::FinishAndDispatch(JobEntry& entry, const ptune::v1::JobFinished& finished) {
  StoreBatch batch;
  Finish(entry, finished, &batch);
  CommitLocked(std::move(batch));
  Dispatch();
  UpdateGauges();
}

void JobManager::Drain(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  draining_ = true;
  ptune::v1::SchedulerMessage message;
  message.mutable_drain()->set_reason(reason);
  workers_.ForEach([&](WorkerEntry& worker) {
    if (worker.link != nullptr) worker.link->Send(message);
  });
}

void JobManager::UpdateGauges() {
  metrics_->SetQueueDepth(queue_.DepthByPriority());
  metrics_->SetWorkers(workers_.CountByState());
}

}  // namespace ptune::server
