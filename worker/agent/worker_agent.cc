// The connection side of the agent: the pump loop, registration, re-sends after a
// reconnect, and the scheduler's messages. Job threads are in worker_agent_jobs.cc.
#include "worker/agent/worker_agent.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "worker/agent/agent_job.h"

namespace ptune::agent {
namespace {

constexpr std::chrono::milliseconds kPumpTick{50};

uint64_t SeedFor(const std::string& worker_id) {
  return std::hash<std::string>()(worker_id) ^ static_cast<uint64_t>(getpid()) ^
         static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace

WorkerAgent::WorkerAgent(std::shared_ptr<grpc::Channel> channel, WorkerAgentOptions options)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      backoff_(options_.backoff, SeedFor(options_.worker_id)),
      heartbeat_interval_(options_.heartbeat_interval) {
  int gpus = 0;
  for (const auto& d : options_.devices) gpus += d.kind() == v1::DEVICE_KIND_CUDA;
  slot_count_ = gpus > 0 ? gpus : static_cast<int>(std::max<uint32_t>(1, options_.cpu_slots));
  slot_busy_.assign(slot_count_, false);
}

absl::StatusOr<std::unique_ptr<WorkerAgent>> WorkerAgent::Create(
    std::shared_ptr<grpc::Channel> channel, WorkerAgentOptions options) {
  if (options.runner == nullptr) return absl::InvalidArgumentError("worker agent: no job runner");
  if (options.worker_id.empty()) return absl::InvalidArgumentError("--id: empty worker id");
  if (options.work_dir.empty()) return absl::InvalidArgumentError("--work-dir: empty");
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(options.work_dir) / "jobs", error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("--work-dir ", options.work_dir, ": cannot create: ", error.message()));
  }
  return std::unique_ptr<WorkerAgent>(new WorkerAgent(std::move(channel), std::move(options)));
}

WorkerAgent::~WorkerAgent() {
  stream_.reset();
  std::vector<std::unique_ptr<Job>> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, job] : jobs_) all.push_back(std::move(job));
    for (auto& job : retired_) all.push_back(std::move(job));
    jobs_.clear();
    retired_.clear();
    for (auto& job : all) {
      StopReason none = StopReason::kNone;
      job->stop.compare_exchange_strong(none, StopReason::kPreempt);
    }
  }
  for (auto& job : all) {
    if (job->thread.joinable()) job->thread.join();
  }
}

void WorkerAgent::Log(const std::string& line) const {
  const std::string text =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                   " ptune-worker ", options_.worker_id, ": ", line, "\n");
  std::cerr << text << std::flush;
}

absl::Status WorkerAgent::Run() {
  Log(absl::StrCat("serving ", slot_count_, " job slot(s)"));
  while (true) {
    if (ShutdownComplete(Clock::now())) break;
    if (!stream_ && !ConnectOnce()) {
      auto delay = backoff_.Next();
      std::unique_lock lock(mu_);
      if (draining_)
        delay = std::min(delay, std::chrono::duration_cast<std::chrono::milliseconds>(
                                    drain_deadline_ - Clock::now()));
      wake_.wait_for(lock, std::max(delay, std::chrono::milliseconds(1)));
      continue;
    }
    PumpConnected();
  }
  Disconnect();
  std::lock_guard lock(mu_);
  if (!jobs_.empty()) {
    return absl::DeadlineExceededError(absl::StrCat(
        jobs_.size(), " job(s) not confirmed by the scheduler within the shutdown timeout"));
  }
  return absl::OkStatus();
}

void WorkerAgent::Shutdown() {
  std::lock_guard lock(mu_);
  if (draining_) return;
  draining_ = true;
  drain_deadline_ = Clock::now() + options_.shutdown_timeout;
  for (auto& [id, job] : jobs_) {
    StopReason none = StopReason::kNone;
    job->stop.compare_exchange_strong(none, StopReason::kPreempt);
  }
  wake_.notify_all();
}

bool WorkerAgent::JobsStillRunning() const {
  std::lock_guard lock(mu_);
  for (const auto& [id, job] : jobs_) {
    if (!job->thread_done) return true;
  }
  for (const auto& job : retired_) {
    if (!job->thread_done) return true;
  }
  return false;
}

bool WorkerAgent::ShutdownComplete(Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (!draining_) return false;
  if (jobs_.empty() && retired_.empty() && outbox_.empty()) return true;
  if (now < drain_deadline_) return false;
  Log("shutdown timeout: giving up on unconfirmed jobs");
  return true;
}

bool WorkerAgent::ConnectOnce() {
  SchedulerStreamOptions stream_options = options_.stream;
  stream_options.on_message = [this](v1::SchedulerMessage m) { OnMessage(std::move(m)); };
  stream_options.on_broken = [this] {
    std::lock_guard lock(mu_);
    stream_broken_ = true;
    wake_.notify_all();
  };
  v1::Register registration;
  {
    std::lock_guard lock(mu_);
    registration = BuildRegister();
    stream_broken_ = false;  // before Open: the reader may report a break at once
  }
  auto stream = SchedulerStream::Open(channel_, registration, std::move(stream_options));
  if (!stream.ok()) {
    Log(absl::StrCat("cannot connect to the scheduler: ", stream.status().message()));
    return false;
  }
  stream_ = std::move(*stream);
  const uint32_t interval_ms = stream_->registered().heartbeat_interval_ms();
  if (interval_ms > 0) heartbeat_interval_ = std::chrono::milliseconds(interval_ms);
  next_heartbeat_ = Clock::now() + heartbeat_interval_;
  backoff_.Reset();
  {
    std::lock_guard lock(mu_);
    PrepareResend();
  }
  if (options_.metrics) {
    options_.metrics->SetConnected(true);
    if (ever_connected_) options_.metrics->CountReconnect();
  }
  Log(ever_connected_ ? "reconnected to the scheduler" : "connected to the scheduler");
  ever_connected_ = true;
  return true;
}

void WorkerAgent::Disconnect() {
  if (!stream_) return;
  stream_.reset();
  if (options_.metrics) options_.metrics->SetConnected(false);
  Log("lost the scheduler stream; reconnecting");
}

v1::Register WorkerAgent::BuildRegister() const {
  v1::Register r;
  r.set_worker_id(options_.worker_id);
  r.set_hostname(options_.hostname);
  r.set_version(options_.version);
  for (const auto& d : options_.devices) *r.add_devices() = d;
  r.set_max_jobs(slot_count_);
  for (const auto& [k, v] : options_.labels) (*r.mutable_labels())[k] = v;
  for (const auto& [id, job] : jobs_) {
    auto* running = r.add_running();
    running->set_job_id(id);
    running->set_attempt(job->attempt);
    running->set_step(job->step);
  }
  return r;
}

v1::WorkerMessage WorkerAgent::BuildHeartbeat() const {
  v1::WorkerMessage m;
  auto* hb = m.mutable_heartbeat();
  for (const auto& [id, job] : jobs_) {
    auto* running = hb->add_running();
    running->set_job_id(id);
    running->set_attempt(job->attempt);
    running->set_step(job->step);
  }
  for (const auto& d : options_.devices) *hb->add_devices() = d;
  hb->set_draining(draining_);
  return m;
}

void WorkerAgent::PrepareResend() {
  outbox_.clear();           // acks and refusals: the scheduler repeats what it still needs
  drain_announced_ = false;  // Register cleared it on the scheduler
  for (auto& [id, job] : jobs_) {
    job->telemetry.Rewind();
    job->outgoing.clear();
    if (!job->checkpoint_acked) {
      job->outgoing.insert(job->outgoing.end(), job->checkpoint.begin(), job->checkpoint.end());
    }
    if (job->finished) {
      job->outgoing.insert(job->outgoing.end(), job->artifacts.begin(), job->artifacts.end());
      job->finished_sent = false;
    }
  }
}

void WorkerAgent::PumpConnected() {
  const auto now = Clock::now();
  std::vector<v1::WorkerMessage> writes = GatherWrites(now);
  if (now >= next_heartbeat_) {
    std::lock_guard lock(mu_);
    writes.push_back(BuildHeartbeat());
    next_heartbeat_ = now + heartbeat_interval_;
  }
  bool ok = true;
  for (const auto& m : writes) {
    if (!(ok = stream_->Write(m))) break;
  }
  ReapJobs();
  std::unique_lock lock(mu_);
  if (!ok || stream_broken_) {
    lock.unlock();
    Disconnect();
    return;
  }
  wake_.wait_for(lock, kPumpTick, [&] { return stream_broken_ || work_ready_; });
  work_ready_ = false;
}

std::vector<v1::WorkerMessage> WorkerAgent::GatherWrites(Clock::time_point now) {
  std::lock_guard lock(mu_);
  std::vector<v1::WorkerMessage> out;
  // Before any preempted result, so the scheduler does not hand the job straight back.
  if (draining_ && !drain_announced_) {
    out.push_back(BuildHeartbeat());
    drain_announced_ = true;
  }
  out.insert(out.end(), std::make_move_iterator(outbox_.begin()),
             std::make_move_iterator(outbox_.end()));
  outbox_.clear();
  size_t buffered = 0;
  for (auto& [id, job] : jobs_) {
    GatherJobWrites(*job, now, out);
    buffered += job->telemetry.size();
  }
  if (options_.metrics) options_.metrics->SetTelemetryBuffered(buffered);
  return out;
}

void WorkerAgent::GatherJobWrites(Job& job, Clock::time_point now,
                                  std::vector<v1::WorkerMessage>& out) {
  const bool flush = job.finished.has_value();
  while (job.telemetry.BatchDue(now, flush)) {
    auto batch = job.telemetry.NextBatch();
    if (!batch) break;
    *out.emplace_back().mutable_telemetry() = std::move(*batch);
  }
  for (auto& m : job.outgoing) out.push_back(std::move(m));
  job.outgoing.clear();
  if (job.finished && !job.finished_sent && job.telemetry.unsent() == 0) {
    job.finished->set_last_index(job.telemetry.last_index());
    *out.emplace_back().mutable_finished() = *job.finished;
    if (job.cancel_ack_due) out.emplace_back().mutable_cancel_ack()->set_job_id(job.id);
    job.finished_sent = true;
  }
}

// Removes jobs the scheduler confirmed (result sent, every event acknowledged) and
// retired jobs whose thread ended, then joins their threads outside the lock.
void WorkerAgent::ReapJobs() {
  std::vector<std::unique_ptr<Job>> done;
  {
    std::lock_guard lock(mu_);
    for (auto it = jobs_.begin(); it != jobs_.end();) {
      Job& job = *it->second;
      if (job.finished_sent && job.thread_done && job.telemetry.Drained()) {
        done.push_back(std::move(it->second));
        it = jobs_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = retired_.begin(); it != retired_.end();) {
      if ((*it)->thread_done) {
        done.push_back(std::move(*it));
        it = retired_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& job : done) {
    if (job->thread.joinable()) job->thread.join();
    if (!options_.keep_job_dirs && !job->output_dir.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(job->output_dir, ignored);
      // The job's directory too, unless another attempt still uses it.
      std::filesystem::remove(std::filesystem::path(job->output_dir).parent_path(), ignored);
    }
  }
}

void WorkerAgent::OnMessage(v1::SchedulerMessage message) {
  switch (message.kind_case()) {
    case v1::SchedulerMessage::kAssignment:
      OnAssignment(message.assignment());
      break;
    case v1::SchedulerMessage::kCancel:
      OnCancel(message.cancel());
      break;
    case v1::SchedulerMessage::kTelemetryAck:
      OnTelemetryAck(message.telemetry_ack());
      break;
    case v1::SchedulerMessage::kCheckpointAck:
      OnCheckpointAck(message.checkpoint_ack());
      break;
    case v1::SchedulerMessage::kDrain:
      Log(absl::StrCat("scheduler asks to drain: ", message.drain().reason()));
      break;
    default:
      break;
  }
}

void WorkerAgent::RefuseAssignment(const v1::Assignment& assignment, const std::string& reason) {
  auto* f = outbox_.emplace_back().mutable_finished();
  f->set_job_id(assignment.job_id());
  f->set_attempt(assignment.attempt());
  f->set_result(v1::JobFinished::RESULT_PREEMPTED);
  f->set_reason(reason);
  f->set_last_index(assignment.acked_index());
  work_ready_ = true;
  wake_.notify_all();
}

void WorkerAgent::OnCancel(const v1::CancelRequest& cancel) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(cancel.job_id());
  if (it == jobs_.end() || it->second->finished) {
    // Nothing runs here (any more): the cancel is done as far as this worker goes.
    outbox_.emplace_back().mutable_cancel_ack()->set_job_id(cancel.job_id());
    work_ready_ = true;
    wake_.notify_all();
    return;
  }
  Log(absl::StrCat("cancelling job ", cancel.job_id(), ": ", cancel.reason()));
  it->second->cancel_ack_due = true;
  it->second->stop = StopReason::kCancel;
}

void WorkerAgent::OnTelemetryAck(const v1::TelemetryAck& ack) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(ack.job_id());
  if (it == jobs_.end() || it->second->attempt != ack.attempt()) return;
  it->second->telemetry.Ack(ack.acked_index());
  work_ready_ = true;
}

void WorkerAgent::OnCheckpointAck(const v1::CheckpointAck& ack) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(ack.job_id());
  if (it == jobs_.end() || ack.step() < it->second->checkpoint_step) return;
  it->second->checkpoint_acked = true;
}

int WorkerAgent::FreeSlot() const {
  for (int i = 0; i < slot_count_; ++i) {
    if (!slot_busy_[i]) return i;
  }
  return -1;
}

std::string WorkerAgent::SlotDevice(int slot) const {
  int cuda = 0;
  for (const auto& d : options_.devices) {
    if (d.kind() != v1::DEVICE_KIND_CUDA) continue;
    if (cuda++ == slot) return absl::StrCat("cuda:", d.index());
  }
  return "cpu";
}

}  // namespace ptune::agent
