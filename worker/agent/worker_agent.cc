// The connection side of the agent: the pump loop, registration, re-sends after a
// reconnect, and the scheduler's messages. Job threads are in worker_agent_jobs.cc.
#include "worker/agent/worker_agent.h"

#include <unistd.h>

#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/log.h"
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
      heartbeat_interval_(options_.heartbeat_interval),
      slots_(options_.devices, options_.cpu_slots) {}

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
    absl::MutexLock lock(&mu_);
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
  ptune::Log("info", line, {{"worker", options_.worker_id}});
}

absl::Status WorkerAgent::Run() {
  {
    absl::MutexLock lock(&mu_);
    Log(absl::StrCat("serving ", slots_.size(), " job slot(s)"));
  }
  while (true) {
    if (ShutdownComplete(Clock::now())) break;
    if (!stream_ && !ConnectOnce()) {
      auto delay = backoff_.Next();
      absl::MutexLock lock(&mu_);
      if (draining_)
        delay = std::min(delay, std::chrono::duration_cast<std::chrono::milliseconds>(
                                    drain_deadline_ - Clock::now()));
      wake_.WaitWithTimeout(&mu_, absl::FromChrono(std::max(delay, std::chrono::milliseconds(1))));
      continue;
    }
    PumpConnected();
  }
  Disconnect();
  absl::MutexLock lock(&mu_);
  if (!jobs_.empty()) {
    return absl::DeadlineExceededError(absl::StrCat(
        jobs_.size(), " job(s) not confirmed by the scheduler within the shutdown timeout"));
  }
  return absl::OkStatus();
}

void WorkerAgent::Shutdown() {
  absl::MutexLock lock(&mu_);
  if (draining_) return;
  draining_ = true;
  drain_deadline_ = Clock::now() + options_.shutdown_timeout;
  for (auto& [id, job] : jobs_) {
    StopReason none = StopReason::kNone;
    job->stop.compare_exchange_strong(none, StopReason::kPreempt);
  }
  wake_.SignalAll();
}

bool WorkerAgent::JobsStillRunning() const {
  absl::MutexLock lock(&mu_);
  for (const auto& [id, job] : jobs_) {
    if (!job->thread_done) return true;
  }
  for (const auto& job : retired_) {
    if (!job->thread_done) return true;
  }
  return false;
}

bool WorkerAgent::ShutdownComplete(Clock::time_point now) {
  absl::MutexLock lock(&mu_);
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
    absl::MutexLock lock(&mu_);
    stream_broken_ = true;
    wake_.SignalAll();
  };
  v1::Register registration;
  {
    absl::MutexLock lock(&mu_);
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
    absl::MutexLock lock(&mu_);
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
  r.set_max_jobs(slots_.size());
  for (const auto& [k, v] : options_.labels) (*r.mutable_labels())[k] = v;
  for (const auto& [id, job] : jobs_) {
    auto* running = r.add_running();
    running->set_job_id(id);
    running->set_attempt(job->attempt);
    running->set_step(job->traffic.step());
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
    running->set_step(job->traffic.step());
  }
  for (const auto& d : options_.devices) *hb->add_devices() = d;
  hb->set_draining(draining_);
  return m;
}

void WorkerAgent::PrepareResend() {
  outbox_.clear();           // acks and refusals: the scheduler repeats what it still needs
  drain_announced_ = false;  // Register cleared it on the scheduler
  for (auto& [id, job] : jobs_) job->traffic.Rewind();
}

void WorkerAgent::WorkReady() {
  work_ready_ = true;
  wake_.SignalAll();
}

void WorkerAgent::PumpConnected() {
  const auto now = Clock::now();
  std::vector<v1::WorkerMessage> writes = GatherWrites(now);
  if (now >= next_heartbeat_) {
    absl::MutexLock lock(&mu_);
    writes.push_back(BuildHeartbeat());
    next_heartbeat_ = now + heartbeat_interval_;
  }
  bool ok = true;
  for (const auto& m : writes) {
    if (!(ok = stream_->Write(m))) break;
  }
  ReapJobs();
  {
    absl::MutexLock lock(&mu_);
    if (ok && !stream_broken_) {
      const absl::Time deadline = absl::Now() + absl::FromChrono(kPumpTick);
      while (!stream_broken_ && !work_ready_) {
        if (wake_.WaitWithDeadline(&mu_, deadline)) break;
      }
      work_ready_ = false;
      return;
    }
  }
  Disconnect();
}

std::vector<v1::WorkerMessage> WorkerAgent::GatherWrites(Clock::time_point now) {
  absl::MutexLock lock(&mu_);
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
    job->traffic.DrainWrites(now, out);
    buffered += job->traffic.buffered_events();
  }
  if (options_.metrics) options_.metrics->SetTelemetryBuffered(buffered);
  return out;
}

// Removes jobs the scheduler confirmed (result sent, every event acknowledged) and
// retired jobs whose thread ended, then joins their threads outside the lock.
void WorkerAgent::ReapJobs() {
  std::vector<std::unique_ptr<Job>> done;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = jobs_.begin(); it != jobs_.end();) {
      Job& job = *it->second;
      if (job.thread_done && job.traffic.Confirmed()) {
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
  WorkReady();
}

void WorkerAgent::OnCancel(const v1::CancelRequest& cancel) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(cancel.job_id());
  if (it == jobs_.end() || it->second->traffic.finished()) {
    // Nothing runs here (any more): the cancel is done as far as this worker goes.
    outbox_.emplace_back().mutable_cancel_ack()->set_job_id(cancel.job_id());
    WorkReady();
    return;
  }
  Log(absl::StrCat("cancelling job ", cancel.job_id(), ": ", cancel.reason()));
  it->second->traffic.AckCancelWithResult();
  it->second->stop = StopReason::kCancel;
}

void WorkerAgent::OnTelemetryAck(const v1::TelemetryAck& ack) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(ack.job_id());
  if (it == jobs_.end() || it->second->attempt != ack.attempt()) return;
  it->second->traffic.OnTelemetryAck(ack.acked_index());
  work_ready_ = true;
}

void WorkerAgent::OnCheckpointAck(const v1::CheckpointAck& ack) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(ack.job_id());
  if (it == jobs_.end()) return;
  it->second->traffic.OnCheckpointAck(ack.step());
}

}  // namespace ptune::agent
