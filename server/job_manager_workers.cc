// The worker half of JobManager: registration, telemetry, uploads, completion, leases.
#include <openssl/evp.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/util/time_util.h"
#include "server/job_manager.h"
#include "server/log.h"

namespace ptune::server {

using google::protobuf::util::TimeUtil;
using ptune::v1::Job;
using ptune::v1::JobEvent;
using ptune::v1::SchedulerMessage;

namespace {

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), size));
}

// Artifact names are relative paths without "..", as they become files on download.
bool ValidArtifactName(const std::string& name) {
  if (name.empty() || name == kCheckpointBlob || name.front() == '/' || name.size() > 256) {
    return false;
  }
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

}  // namespace

absl::Status JobManager::RegisterWorker(WorkerLink* link, const ptune::v1::Register& request) {
  if (request.worker_id().empty()) {
    return absl::InvalidArgumentError("register.worker_id: required");
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = workers_[request.worker_id()];
  if (slot == nullptr) slot = std::make_unique<WorkerEntry>();
  WorkerEntry& worker = *slot;
  if (worker.link != nullptr && worker.link != link) {
    links_.erase(worker.link);
    worker.link->Close(absl::AbortedError("replaced by a newer connection of the same worker"));
  }
  worker.link = link;
  links_[link] = &worker;
  worker.last_seen = Clock::now();
  worker.draining = false;
  ptune::v1::WorkerInfo& info = worker.info;
  info.set_worker_id(request.worker_id());
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
  // requeued; its jobs that are no longer its (requeued meanwhile, finished) stop.
  std::map<std::string, uint32_t> claimed;
  for (const auto& running : request.running()) claimed[running.job_id()] = running.attempt();
  StoreBatch batch;
  for (const std::string& job_id : std::set<std::string>(worker.jobs)) {
    JobEntry& entry = *jobs_.at(job_id);
    auto claim = claimed.find(job_id);
    if (claim != claimed.end() && claim->second == entry.job().attempt()) {
      claimed.erase(claim);
      if (entry.record.cancel_requested) SendCancel(entry);
      continue;
    }
    Requeue(entry, absl::StrCat("worker ", request.worker_id(), " reconnected without the job"),
            &batch);
  }
  for (const auto& [job_id, attempt] : claimed) {
    SchedulerMessage cancel;
    cancel.mutable_cancel()->set_job_id(job_id);
    cancel.mutable_cancel()->set_reason("the job is no longer assigned to this worker");
    link->Send(cancel);
  }
  info.set_state(worker.jobs.empty() ? ptune::v1::WORKER_STATE_IDLE : ptune::v1::WORKER_STATE_BUSY);
  batch.workers.push_back(info);
  CommitLocked(std::move(batch));
  Dispatch();
  UpdateGauges();
  return absl::OkStatus();
}

void JobManager::WorkerDisconnected(WorkerLink* link) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = links_.find(link);
  if (it == links_.end()) return;
  WorkerEntry& worker = *it->second;
  links_.erase(it);
  worker.link = nullptr;
  // The lease runs from the disconnect: a reconnect within it keeps the jobs.
  worker.last_seen = Clock::now();
  for (const std::string& job_id : worker.jobs) {
    JobEntry& entry = *jobs_.at(job_id);
    entry.checkpoint_upload.reset();
    entry.artifact_uploads.clear();
  }
  if (worker.jobs.empty()) worker.info.set_state(ptune::v1::WORKER_STATE_LOST);
  UpdateGauges();
}

void JobManager::HandleWorkerMessage(WorkerLink* link, const ptune::v1::WorkerMessage& message) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = links_.find(link);
  if (it == links_.end()) return;  // replaced or declared dead: stale stream
  WorkerEntry& worker = *it->second;
  worker.last_seen = Clock::now();
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
      links_.erase(link);
      worker.link = nullptr;
      link->Close(absl::InvalidArgumentError(
          "worker message: register only once, as the first message; others need a kind"));
  }
}

JobManager::JobEntry* JobManager::OwnedJob(const WorkerEntry& worker, const std::string& job_id,
                                           uint32_t attempt) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return nullptr;
  const Job& job = it->second->job();
  if (job.state() != ptune::v1::JOB_STATE_RUNNING || job.worker_id() != worker.info.worker_id() ||
      job.attempt() != attempt) {
    return nullptr;
  }
  return it->second.get();
}

void JobManager::SendTo(const std::string& worker_id, const SchedulerMessage& message) {
  auto it = workers_.find(worker_id);
  if (it != workers_.end() && it->second->link != nullptr) it->second->link->Send(message);
}

void JobManager::SendCancel(JobEntry& entry) {
  SchedulerMessage message;
  message.mutable_cancel()->set_job_id(entry.job().id());
  message.mutable_cancel()->set_reason(entry.job().state_reason());
  SendTo(entry.job().worker_id(), message);
  entry.cancel_sent = Clock::now();
}

void JobManager::OnHeartbeat(WorkerEntry& worker, const ptune::v1::Heartbeat& heartbeat) {
  *worker.info.mutable_last_heartbeat() = TimeUtil::GetCurrentTime();
  if (heartbeat.devices_size() > 0) *worker.info.mutable_devices() = heartbeat.devices();
  if (heartbeat.draining() && !worker.draining) {
    worker.draining = true;  // shutting down: Dispatch skips it, its jobs come back preempted
    worker.info.set_state(ptune::v1::WORKER_STATE_DRAINING);
  }
  for (const auto& running : heartbeat.running()) {
    if (OwnedJob(worker, running.job_id(), running.attempt()) != nullptr) continue;
    SchedulerMessage cancel;
    cancel.mutable_cancel()->set_job_id(running.job_id());
    cancel.mutable_cancel()->set_reason("the job is no longer assigned to this worker");
    worker.link->Send(cancel);
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
    if (event.has_step()) {
      // After a requeue the new attempt resumes from its checkpoint; steps watchers
      // already saw are dropped so the stream never goes backward.
      if (event.step().step() <= record.last_step) continue;
      record.last_step = event.step().step();
      job.set_step(event.step().step());
      if (event.step().total_steps() > 0) job.set_total_steps(event.step().total_steps());
    }
    JobEvent stored = event;
    stored.set_attempt(job.attempt());
    AppendEvent(*entry, std::move(stored), &batch);
  }
  record.acked_index = index - 1;
  ack.mutable_telemetry_ack()->set_acked_index(record.acked_index);
  batch.jobs.push_back(record);
  const std::string worker_id = worker.info.worker_id();
  CommitLocked(std::move(batch), [this, worker_id, ack](const absl::Status& status) {
    if (!status.ok()) return;  // unacked: the worker re-sends
    std::lock_guard<std::mutex> lock(mu_);
    SendTo(worker_id, ack);
  });
  if (entry->pending_finish && record.acked_index >= entry->pending_finish->last_index()) {
    ptune::v1::JobFinished finished = *std::move(entry->pending_finish);
    StoreBatch final_batch;
    Finish(*entry, finished, &final_batch);
    CommitLocked(std::move(final_batch));
    Dispatch();
    UpdateGauges();
  }
}

bool JobManager::AppendChunk(Upload& upload, uint64_t offset, const std::string& data) {
  if (offset != upload.data.size() || upload.data.size() + data.size() > options_.max_blob_bytes) {
    return false;
  }
  upload.data += data;
  return true;
}

void JobManager::OnCheckpoint(WorkerEntry& worker, const ptune::v1::CheckpointUpload& chunk) {
  JobEntry* entry = OwnedJob(worker, chunk.job_id(), chunk.attempt());
  if (entry == nullptr) return;
  if (chunk.offset() == 0) entry->checkpoint_upload = Upload{chunk.attempt(), chunk.step(), ""};
  if (!entry->checkpoint_upload || entry->checkpoint_upload->step != chunk.step() ||
      !AppendChunk(*entry->checkpoint_upload, chunk.offset(), chunk.data())) {
    entry->checkpoint_upload.reset();  // out of order: wait for the next checkpoint
    return;
  }
  if (!chunk.last()) return;
  JobBlob blob{entry->job().id(), kCheckpointBlob, chunk.step(), "",
               std::move(entry->checkpoint_upload->data)};
  entry->checkpoint_upload.reset();
  blob.sha256 = Sha256Hex(blob.data);
  entry->checkpoint = blob;
  StoreBatch batch;
  batch.blobs.push_back(std::move(blob));
  SchedulerMessage ack;
  ack.mutable_checkpoint_ack()->set_job_id(entry->job().id());
  ack.mutable_checkpoint_ack()->set_step(chunk.step());
  const std::string worker_id = worker.info.worker_id();
  CommitLocked(std::move(batch), [this, worker_id, ack](const absl::Status& status) {
    if (!status.ok()) return;
    std::lock_guard<std::mutex> lock(mu_);
    SendTo(worker_id, ack);
  });
}

void JobManager::OnArtifact(WorkerEntry& worker, const ptune::v1::ArtifactUpload& chunk) {
  JobEntry* entry = OwnedJob(worker, chunk.job_id(), chunk.attempt());
  if (entry == nullptr || !ValidArtifactName(chunk.name())) return;
  if (chunk.offset() == 0) entry->artifact_uploads[chunk.name()] = Upload{chunk.attempt(), 0, ""};
  auto upload = entry->artifact_uploads.find(chunk.name());
  if (upload == entry->artifact_uploads.end() ||
      !AppendChunk(upload->second, chunk.offset(), chunk.data())) {
    entry->artifact_uploads.erase(chunk.name());
    return;
  }
  if (!chunk.last()) return;
  JobBlob blob{entry->job().id(), chunk.name(), 0, "", std::move(upload->second.data)};
  entry->artifact_uploads.erase(upload);
  blob.sha256 = Sha256Hex(blob.data);
  ptune::v1::ArtifactInfo info;
  info.set_name(blob.name);
  info.set_size_bytes(blob.data.size());
  info.set_sha256(blob.sha256);
  Job& job = entry->job();
  auto* artifacts = job.mutable_artifacts();
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
  batch.blobs.push_back(std::move(blob));
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
  StoreBatch batch;
  Finish(*entry, finished, &batch);
  CommitLocked(std::move(batch));
  Dispatch();
  UpdateGauges();
}

void JobManager::Finish(JobEntry& entry, const ptune::v1::JobFinished& finished,
                        StoreBatch* batch) {
  using Result = ptune::v1::JobFinished;
  Job& job = entry.job();
  const std::string worker_id = job.worker_id();
  if (finished.result() == Result::RESULT_PREEMPTED) {
    Requeue(entry, absl::StrCat("preempted on worker ", worker_id, ": ", finished.reason()), batch);
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

void JobManager::OnCancelAck(WorkerEntry& worker, const ptune::v1::CancelAck& ack) {
  auto it = jobs_.find(ack.job_id());
  if (it == jobs_.end()) return;
  JobEntry& entry = *it->second;
  if (entry.job().state() != ptune::v1::JOB_STATE_RUNNING ||
      entry.job().worker_id() != worker.info.worker_id() || !entry.record.cancel_requested) {
    return;
  }
  ptune::v1::JobFinished finished;
  finished.set_result(ptune::v1::JobFinished::RESULT_CANCELLED);
  const std::string& reason = entry.job().state_reason();
  finished.set_reason(reason.rfind("cancelling: ", 0) == 0 ? reason.substr(12) : reason);
  StoreBatch batch;
  Finish(entry, finished, &batch);
  CommitLocked(std::move(batch));
  Dispatch();
  UpdateGauges();
}

void JobManager::DeclareDead(WorkerEntry& worker, const std::string& reason) {
  Log("warning", "worker declared dead", {{"worker", worker.info.worker_id()}, {"reason", reason}});
  if (worker.link != nullptr) {
    links_.erase(worker.link);
    worker.link->Close(absl::DeadlineExceededError(reason));
    worker.link = nullptr;
  }
  worker.info.set_state(ptune::v1::WORKER_STATE_LOST);
  StoreBatch batch;
  for (const std::string& job_id : std::set<std::string>(worker.jobs)) {
    Requeue(*jobs_.at(job_id), reason, &batch);
  }
  worker.jobs.clear();
  CommitLocked(std::move(batch));
}

void JobManager::CheckLeases() {
  std::lock_guard<std::mutex> lock(mu_);
  const Clock::time_point now = Clock::now();
  bool changed = false;
  for (auto& [id, worker] : workers_) {
    if (worker->info.state() == ptune::v1::WORKER_STATE_LOST && worker->jobs.empty()) continue;
    const auto silent =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - worker->last_seen);
    if (silent <= options_.lease_timeout) continue;
    DeclareDead(*worker, absl::StrCat("worker ", id, " lost: no message for ", silent.count(),
                                      " ms (lease ", options_.lease_timeout.count(), " ms)"));
    changed = true;
  }
  const auto retry =
      options_.cancel_retry.count() > 0 ? options_.cancel_retry : options_.lease_timeout / 4;
  for (auto& [id, entry] : jobs_) {
    if (entry->record.cancel_requested && entry->job().state() == ptune::v1::JOB_STATE_RUNNING &&
        now - entry->cancel_sent > retry) {
      SendCancel(*entry);
    }
  }
  if (changed) {
    Dispatch();
    UpdateGauges();
  }
}

}  // namespace ptune::server
