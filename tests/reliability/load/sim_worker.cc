#include "tests/reliability/load/sim_worker.h"

#include <chrono>

#include "google/protobuf/util/time_util.h"

namespace ptune::load {
namespace {

using google::protobuf::util::TimeUtil;
using ptune::v1::JobEvent;
using ptune::v1::SchedulerMessage;
using ptune::v1::WorkerMessage;

constexpr auto kHeartbeat = std::chrono::seconds(1);

JobEvent StepEvent(int step, int total) {
  JobEvent event;
  auto* record = event.mutable_step();
  record->set_step(step);
  record->set_total_steps(total);
  record->set_loss(1.0 / step);
  record->set_task_loss(1.0 / step);
  record->add_learning_rates(0.3);
  record->set_grad_norm(0.5);
  record->set_tokens_per_second(1000);
  // The wall-clock send time rides in step_seconds (same host as the watchers): the
  // scheduler stores event times at a coarser resolution than a delivery latency needs.
  record->set_step_seconds(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  return event;
}

JobEvent EvalEvent(int step) {
  JobEvent event;
  event.mutable_eval()->set_step(step);
  event.mutable_eval()->set_split("validation");
  (*event.mutable_eval()->mutable_metrics())["accuracy"] = 0.8;
  (*event.mutable_eval()->mutable_metrics())["loss"] = 0.4;
  return event;
}

JobEvent TopologyEvent(int step, int pairs) {
  JobEvent event;
  auto* topology = event.mutable_topology();
  topology->set_step(step);
  topology->mutable_summary()->set_h0_bars(pairs);
  topology->mutable_summary()->set_points(pairs + 1);
  for (int i = 0; i < pairs; ++i) {
    auto* pair = topology->add_pairs();
    pair->set_dim(i % 2);
    pair->set_birth(0.01 * i);
    pair->set_death(0.02 * i + 0.5);
    pair->add_birth_simplex(i);
    pair->add_death_simplex(i);
    pair->add_death_simplex(i + 1);
  }
  return event;
}

}  // namespace

SimWorker::SimWorker(std::shared_ptr<grpc::Channel> channel, std::string worker_id,
                     SimJobShape shape, JobLedger* ledger)
    : worker_id_(std::move(worker_id)),
      shape_(shape),
      ledger_(ledger),
      stub_(ptune::v1::WorkerService::NewStub(std::move(channel))) {}

SimWorker::~SimWorker() { Stop(); }

bool SimWorker::Start() {
  stream_ = stub_->Connect(&context_);
  reader_ = std::thread([this] { ReadLoop(); });
  WorkerMessage message;
  auto* reg = message.mutable_register_();
  reg->set_worker_id(worker_id_);
  reg->set_hostname("ptune-loadgen");
  reg->set_version("sim");
  reg->set_max_jobs(1);
  reg->add_devices()->set_kind(ptune::v1::DEVICE_KIND_CPU);
  Write(message);
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, std::chrono::seconds(10), [&] { return registered_ || ended_; }) ||
      !registered_) {
    lock.unlock();
    ledger_->Violation("worker " + worker_id_ + ": no Registered within 10 s");
    return false;
  }
  driver_ = std::thread([this] { DriveLoop(); });
  return true;
}

void SimWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (driver_.joinable()) driver_.join();
  if (stream_ != nullptr && !closed_) {
    closed_ = true;
    {
      std::lock_guard<std::mutex> lock(write_mu_);
      stream_->WritesDone();
    }
    // The scheduler keeps a worker stream open until the worker goes; end it from here.
    context_.TryCancel();
  }
  if (reader_.joinable()) reader_.join();
}

void SimWorker::Write(const WorkerMessage& message) {
  std::lock_guard<std::mutex> lock(write_mu_);
  stream_->Write(message);
}

void SimWorker::ReadLoop() {
  SchedulerMessage message;
  while (stream_->Read(&message)) {
    std::lock_guard<std::mutex> lock(mu_);
    switch (message.kind_case()) {
      case SchedulerMessage::kRegistered:
        registered_ = true;
        break;
      case SchedulerMessage::kAssignment:
        ledger_->Assigned(message.assignment().job_id(), SteadyClock::now());
        assignments_.push_back(message.assignment());
        break;
      case SchedulerMessage::kTelemetryAck:
        // One job at a time: acks are for the job in progress (stale ones are ignored).
        if (message.telemetry_ack().job_id() == acked_job_) {
          acked_index_ = std::max(acked_index_, message.telemetry_ack().acked_index());
        }
        break;
      case SchedulerMessage::kCancel:
        cancelled_.insert(message.cancel().job_id());
        break;
      default:  // checkpoint acks, drain
        break;
    }
    cv_.notify_all();
  }
  const grpc::Status status = stream_->Finish();
  std::lock_guard<std::mutex> lock(mu_);
  if (!stopping_)
    ledger_->Error(
        "worker " + worker_id_,
        status.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream ended") : status);
  ended_ = true;
  cv_.notify_all();
}

void SimWorker::DriveLoop() {
  for (;;) {
    ptune::v1::Assignment assignment;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_for(lock, kHeartbeat,
                        [&] { return stopping_ || ended_ || !assignments_.empty(); })) {
        lock.unlock();
        WorkerMessage heartbeat;
        heartbeat.mutable_heartbeat();
        Write(heartbeat);
        continue;
      }
      if (ended_ || (stopping_ && assignments_.empty())) return;
      assignment = std::move(assignments_.front());
      assignments_.pop_front();
      acked_job_ = assignment.job_id();
      acked_index_ = assignment.acked_index();
    }
    RunJob(assignment);
  }
}

bool SimWorker::Cancelled(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_.count(job_id) > 0;
}

bool SimWorker::WaitAcked(const std::string& job_id, uint64_t index) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, kHeartbeat, [&] {
    return ended_ || cancelled_.count(job_id) > 0 || acked_index_ >= index;
  })) {
    lock.unlock();
    WorkerMessage heartbeat;
    heartbeat.mutable_heartbeat();
    Write(heartbeat);
    lock.lock();
  }
  return !ended_ && cancelled_.count(job_id) == 0;
}

void SimWorker::RunJob(const ptune::v1::Assignment& assignment) {
  const std::string& job_id = assignment.job_id();
  uint64_t index = assignment.acked_index();
  auto send = [&](std::vector<JobEvent> events) {
    WorkerMessage message;
    auto* batch = message.mutable_telemetry();
    batch->set_job_id(job_id);
    batch->set_attempt(assignment.attempt());
    batch->set_first_index(index + 1);
    int64_t bytes = 0;
    for (JobEvent& event : events) {
      *event.mutable_time() = TimeUtil::GetCurrentTime();
      bytes += static_cast<int64_t>(event.ByteSizeLong());
      *batch->add_events() = std::move(event);
    }
    index += events.size();
    ledger_->Sent(static_cast<int64_t>(events.size()), bytes);
    Write(message);
  };
  const std::string checkpoint(shape_.checkpoint_bytes, 'c');
  for (int step = 1; step <= shape_.steps; ++step) {
    std::this_thread::sleep_for(std::chrono::milliseconds(shape_.step_interval_ms));
    if (Cancelled(job_id)) break;
    std::vector<JobEvent> events = {StepEvent(step, shape_.steps)};
    if (step % shape_.eval_every == 0) events.push_back(EvalEvent(step));
    if (step % shape_.topology_every == 0)
      events.push_back(TopologyEvent(step, shape_.diagram_pairs));
    if (step % shape_.checkpoint_every == 0) {
      WorkerMessage upload;
      auto* chunk = upload.mutable_checkpoint();
      chunk->set_job_id(job_id);
      chunk->set_attempt(assignment.attempt());
      chunk->set_step(step);
      chunk->set_data(checkpoint);
      chunk->set_last(true);
      Write(upload);
      JobEvent saved;
      saved.mutable_checkpoint()->set_step(step);
      saved.mutable_checkpoint()->set_size_bytes(checkpoint.size());
      events.push_back(std::move(saved));
    }
    send(std::move(events));
    const uint64_t window = static_cast<uint64_t>(shape_.ack_window);
    if (index > window && !WaitAcked(job_id, index - window)) break;
  }
  WorkerMessage message;
  if (Cancelled(job_id)) {
    message.mutable_cancel_ack()->set_job_id(job_id);
  } else {
    auto* artifact = message.mutable_artifact();
    artifact->set_job_id(job_id);
    artifact->set_attempt(assignment.attempt());
    artifact->set_name("prompt.safetensors");
    artifact->set_data(std::string(shape_.artifact_bytes, 'p'));
    artifact->set_last(true);
    Write(message);
    message.Clear();
    auto* finished = message.mutable_finished();
    finished->set_job_id(job_id);
    finished->set_attempt(assignment.attempt());
    finished->set_result(ptune::v1::JobFinished::RESULT_SUCCEEDED);
    finished->set_last_index(index);
    (*finished->mutable_final_metrics())["accuracy"] = 0.8;
  }
  Write(message);
  ledger_->Finished(job_id);
}

}  // namespace ptune::load
