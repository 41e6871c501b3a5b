// The worker protocol of JobManager: registration, telemetry, uploads, completion,
// cancels and leases.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "google/protobuf/util/time_util.h"
#include "server/job_manager.h"

namespace ptune::server {

using google::protobuf::util::TimeUtil;
using ptune::v1::Job;
using ptune::v1::JobEvent;
using ptune::v1::SchedulerMessage;

absl::Status JobManager::RegisterWorker(WorkerLink* link, const ptune::v1::Register& request) {
  if (request.worker_id().empty()) {
    return absl::InvalidArgumentError("register.worker_id: required");
  }
  std::lock_guard<std::mutex> lock(mu_);
  WorkerEntry& worker = workers_.GetOrAdd(request.worker_id());
  workers_.Attach(worker, link);
  worker.last_seen = clock_->Now();
  worker.draining = false;
  ptune::v1::WorkerInfo& info = worker.info;
  info.set_hostname(request.hostname());
  info.set_version(request.version());
  *info.mutable_devices() = request.devices();
  info.set_max_jobs(request.max_jobs());
  *info.mutable_labels() = request.labels();
  *info.mutable_connect_time() = TimeUtil::GetCurrentTime();
  *info.mutable_last_heartbeat() = info.connect_time();

  Log("info", "worker registered",
      {{"worker", request.worker_id()},
       {"host", request.hostname()},
       {"version", request.version()},
       {"devices", std::to_string(request.devices_size())},
       {"claimed_jobs", std::to_string(request.running_size())}});
  SchedulerMessage registered;
  registered.mutable_registered()->set_heartbeat_interval_ms(heartbeat_interval().count());
  registered.mutable_registered()->set_lease_timeout_ms(options_.lease_timeout.count());
  link->Send(registered);

  // Reconcile: jobs both sides agree on keep running; ours it no longer has are
  // requeued (its process lost them: a lost lease); its jobs that are no longer its
  // (requeued meanwhile, finished) stop.
  std::map<std::string, uint32_t> claimed;
  for (const auto& running : request.running()) claimed[running.job_id()] = running.attempt();
  StoreBatch batch;
  for (const std::string& job_id : std::set<std::string>(worker.jobs)) {
    JobEntry& entry = *jobs_.Find(job_id);
    auto claim = claimed.find(job_id);
    if (claim != claimed.end() && claim->second == entry.job().attempt()) {
      claimed.erase(claim);
      if (entry.record.cancel_requested) SendCancel(entry);
      continue;
    }
    Requeue(entry, absl::StrCat("worker ", request.worker_id(), " reconnected without the job"),
            RequeueCause::kWorkerLost, &batch);
  }
  for (const auto& [job_id, attempt] : claimed) SendStaleCancel(link, job_id);
  info.set_state(worker.jobs.empty() ? ptune::v1::WORKER_STATE_IDLE : ptune::v1::WORKER_STATE_BUSY);
  batch.workers.push_back(info);
  CommitLocked(std::move(batch));
  Dispatch();
  UpdateGauges();
  return absl::OkStatus();
}

void JobManager::WorkerDisconnected(WorkerLink* link) {
  std::lock_guard<std::mutex> lock(mu_);
  WorkerEntry* worker = workers_.ByLink(link);
  if (worker == nullptr) return;
  workers_.Detach(*worker);
  // The lease runs from the disconnect: a reconnect within it keeps the jobs.
  worker->last_seen = clock_->Now();
  for (const std::string& job_id : worker->jobs) uploads_.Discard(job_id);
  if (worker->jobs.empty()) worker->info.set_state(ptune::v1::WORKER_STATE_LOST);
  UpdateGauges();
}

void JobManager::HandleWorkerMessage(WorkerLink* link, const ptune::v1::WorkerMessage& message) {
  std::lock_guard<std::mutex> lock(mu_);
  WorkerEntry* found = workers_.ByLink(link);
  if (found == nullptr) return;  // replaced or declared dead: stale stream
  WorkerEntry& worker = *found;
  worker.last_seen = clock_->Now();
  switch (message.kind_case()) {
    case ptune::v1::WorkerMessage::kHeartbeat:
      OnHeartbeat(worker, message.heartbeat());
      break;
    case ptune::v1::WorkerMessage::kTelemetry:
      OnTelemetry(worker, message.telemetry());
      break;
    case ptune::v1::WorkerMessage::kCheckpoint:
      OnCheckpoint(worker, message.checkpoint());
      break;
    case ptune::v1::WorkerMessage::kArtifact:
      OnArtifact(worker, message.artifact());
      break;
    case ptune::v1::WorkerMessage::kFinished:
      OnFinished(worker, message.finished());
      break;
    case ptune::v1::WorkerMessage::kCancelAck:
      OnCancelAck(worker, message.cancel_ack());
      break;
    default:
      workers_.Detach(worker);
      link->Close(absl::InvalidArgumentError(
          "worker message: register only once, as the first message; others need a kind"));
  }
}

JobEntry* JobManager::OwnedJob(const WorkerEntry& worker, const std::string& job_id,
                               uint32_t attempt) {
  JobEntry* entry = jobs_.Find(job_id);
  if (entry == nullptr) return nullptr;
  const Job& job = entry->job();
  if (job.state() != ptune::v1::JOB_STATE_RUNNING || job.worker_id() != worker.info.worker_id() ||
      job.attempt() != attempt) {
    return nullptr;
  }
  return entry;
}

void JobManager::SendCancel(JobEntry& entry) {
  SchedulerMessage message;
  message.mutable_cancel()->set_job_id(entry.job().id());
  message.mutable_cancel()->set_reason(entry.record.cancel_reason);
  workers_.SendTo(entry.job().worker_id(), message);
  entry.cancel_sent = clock_->Now();
}

void JobManager::SendStaleCancel(WorkerLink* link, const std::string& job_id) {
  SchedulerMessage cancel;
  cancel.mutable_cancel()->set_job_id(job_id);
  cancel.mutable_cancel()->set_reason("the job is no longer assigned to this worker");
  link->Send(cancel);
}

void JobManager::OnHeartbeat(WorkerEntry& worker, const ptune::v1::Heartbeat& heartbeat) {
  *worker.info.mutable_last_heartbeat() = TimeUtil::GetCurrentTime();
  if (heartbeat.devices_size() > 0) *worker.info.mutable_devices() = heartbeat.devices();
  if (heartbeat.draining() && !worker.draining) {
    worker.draining = true;  // shutting down: Dispatch skips it, its jobs come back preempted
    worker.info.set_state(ptune::v1::WORKER_STATE_DRAINING);
  }
  for (const auto& running : heartbeat.running()) {
    if (OwnedJob(worker, running.job_id(), running.attempt()) == nullptr) {
      SendStaleCancel(worker.link, running.job_id());
    }
  }
}

void JobManager::OnTelemetry(WorkerEntry& worker, const ptune::v1::TelemetryBatch& telemetry) {
  JobEntry* entry = OwnedJob(worker, telemetry.job_id(), telemetry.attempt());
  if (entry == nullptr) return;
  JobRecord& record = entry->record;
  Job& job = record.job;
  SchedulerMessage ack;
  ack.mutable_telemetry_ack()->set_job_id(job.id());
  ack.mutable_telemetry_ack()->set_attempt(job.attempt());
  if (telemetry.first_index() == 0 || telemetry.first_index() > record.acked_index + 1) {
    // A gap (or a malformed index): ack what we have so the worker re-sends from there.
    ack.mutable_telemetry_ack()->set_acked_index(record.acked_index);
    worker.link->Send(ack);
    return;
  }
  StoreBatch batch;
  uint64_t index = telemetry.first_index();
  for (const JobEvent& event : telemetry.events()) {
    if (index++ <= record.acked_index) continue;  // re-sent: already stored
    if (event.has_state()) continue;              // state changes are the scheduler's
    JobEvent stored = event;
    stored.set_attempt(job.attempt());
    // After a requeue the new attempt re-computes steps from its checkpoint (or the
    // start); what watchers already saw is dropped so the stream never goes backward.
    if (!entry->marks.Admit(stored)) continue;
    if (stored.has_step()) {
      record.last_step = stored.step().step();
      job.set_step(stored.step().step());
      if (stored.step().total_steps() > 0) job.set_total_steps(stored.step().total_steps());
    }
    AppendEvent(*entry, std::move(stored), &batch);
  }
  record.acked_index = index - 1;
  ack.mutable_telemetry_ack()->set_acked_index(record.acked_index);
  batch.jobs.push_back(record);
  const std::string worker_id = worker.info.worker_id();
  CommitLocked(std::move(batch), [this, worker_id, ack](const absl::Status& status) {
    if (!status.ok()) return;  // unacked: the worker re-sends
    std::lock_guard<std::mutex> lock(mu_);
    workers_.SendTo(worker_id, ack);
  });
  if (entry->pending_finish && record.acked_index >= entry->pending_finish->last_index()) {
    ptune::v1::JobFinished finished = *std::move(entry->pending_finish);
    FinishAndDispatch(*entry, finished);
  }
}

void JobManager::OnCheckpoint(WorkerEntry& worker, const ptune::v1::CheckpointUpload& chunk) {
  JobEntry* entry = OwnedJob(worker, chunk.job_id(), chunk.attempt());
  if (entry == nullptr) return;
  std::optional<JobBlob> blob = uploads_.AddCheckpoint(chunk);
  if (!blob) return;
  entry->checkpoint = *blob;
  StoreBatch batch;
  batch.blobs.push_back(*std::move(blob));
  SchedulerMessage ack;
  ack.mutable_checkpoint_ack()->set_job_id(entry->job().id());
  ack.mutable_checkpoint_ack()->set_step(chunk.step());
  const std::string worker_id = worker.info.worker_id();
  CommitLocked(std::move(batch), [this, worker_id, ack](const absl::Status& status) {
    if (!status.ok()) return;
    std::lock_guard<std::mutex> lock(mu_);
    workers_.SendTo(worker_id, ack);
  });
}

void JobManager::OnArtifact(WorkerEntry& worker, const ptune::v1::ArtifactUpload& chunk) {
  JobEntry* entry = OwnedJob(worker, chunk.job_id(), chunk.attempt());
  if (entry == nullptr) return;
  std::optional<JobBlob> blob = uploads_.AddArtifact(chunk);
  if (!blob) return;
  ptune::v1::ArtifactInfo info;
  info.set_name(blob->name);
  info.set_size_bytes(blob->data.size());
  info.set_sha256(blob->sha256);
  auto* artifacts = entry->job().mutable_artifacts();
  auto same = std::find_if(artifacts->begin(), artifacts->end(),
                           [&](const auto& a) { return a.name() == info.name(); });
  if (same != artifacts->end()) {
    *same = info;
  } else {
    *artifacts->Add() = info;
  }
  StoreBatch batch;
  JobEvent ready;
  *ready.mutable_artifact()->mutable_artifact() = info;
  AppendEvent(*entry, std::move(ready), &batch);
  batch.blobs.push_back(*std::move(blob));
  batch.jobs.push_back(entry->record);
  CommitLocked(std::move(batch));
}

void JobManager::OnFinished(WorkerEntry& worker, const ptune::v1::JobFinished& finished) {
  JobEntry* entry = OwnedJob(worker, finished.job_id(), finished.attempt());
  if (entry == nullptr) return;
  if (entry->record.acked_index < finished.last_index()) {
    // Telemetry still missing: finish once the worker re-sent it (or the lease ends).
    entry->pending_finish = finished;
    return;
  }
  FinishAndDispatch(*entry, finished);
}

void JobManager::OnCancelAck(WorkerEntry& worker, const ptune::v1::CancelAck& ack) {
  JobEntry* entry = jobs_.Find(ack.job_id());
  if (entry == nullptr || entry->job().state() != ptune::v1::JOB_STATE_RUNNING ||
      entry->job().worker_id() != worker.info.worker_id() || !entry->record.cancel_requested) {
    return;
  }
  ptune::v1::JobFinished finished;
  finished.set_result(ptune::v1::JobFinished::RESULT_CANCELLED);
  finished.set_reason(entry->record.cancel_reason);
  FinishAndDispatch(*entry, finished);
}

void JobManager::DeclareDead(WorkerEntry& worker, const std::string& reason) {
  Log("warning", "worker declared dead", {{"worker", worker.info.worker_id()}, {"reason", reason}});
  if (WorkerLink* link = worker.link; link != nullptr) {
    workers_.Detach(worker);
    link->Close(absl::DeadlineExceededError(reason));
  }
  worker.info.set_state(ptune::v1::WORKER_STATE_LOST);
  StoreBatch batch;
  for (const std::string& job_id : std::set<std::string>(worker.jobs)) {
    Requeue(*jobs_.Find(job_id), reason, RequeueCause::kWorkerLost, &batch);
  }
  worker.jobs.clear();
  CommitLocked(std::move(batch));
}

void JobManager::CheckLeases() {
  std::lock_guard<std::mutex> lock(mu_);
  const Clock::TimePoint now = clock_->Now();
  std::vector<WorkerEntry*> expired = workers_.Expired(now, options_.lease_timeout);
  for (WorkerEntry* worker : expired) {
    const auto silent =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - worker->last_seen);
    DeclareDead(*worker, absl::StrCat("worker ", worker->info.worker_id(), " lost: no message for ",
                                      silent.count(), " ms (lease ", options_.lease_timeout.count(),
                                      " ms)"));
  }
  const auto retry =
      options_.cancel_retry.count() > 0 ? options_.cancel_retry : options_.lease_timeout / 4;
  jobs_.ForEach([&](JobEntry& entry) {
    if (entry.record.cancel_requested && entry.job().state() == ptune::v1::JOB_STATE_RUNNING &&
        now - entry.cancel_sent > retry) {
      SendCancel(entry);
    }
  });
  if (!expired.empty()) {
    Dispatch();
    UpdateGauges();
  }
}

}  // namespace ptune::server
