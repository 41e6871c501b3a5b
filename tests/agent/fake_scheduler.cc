#include "tests/agent/fake_scheduler.h"

#include <gtest/gtest.h>

namespace ptune::agent::testing {
namespace {

std::string Key(const std::string& job_id, uint32_t attempt) {
  return job_id + "#" + std::to_string(attempt);
}

}  // namespace

FakeScheduler::FakeScheduler(std::string required_token)
    : required_token_(std::move(required_token)) {}

FakeScheduler::~FakeScheduler() { Stop(); }

void FakeScheduler::Start(int port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials(),
                           &port_);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
  ASSERT_NE(server_, nullptr);
}

void FakeScheduler::Stop() {
  if (!server_) return;
  DropStream();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
  server_.reset();
}

grpc::Status FakeScheduler::Connect(grpc::ServerContext* context, Stream* stream) {
  if (!required_token_.empty()) {
    auto it = context->client_metadata().find("authorization");
    if (it == context->client_metadata().end() ||
        std::string(it->second.data(), it->second.size()) != "Bearer " + required_token_) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad worker token");
    }
  }
  v1::WorkerMessage message;
  if (!stream->Read(&message) || !message.has_register_()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "Register first");
  }
  {
    std::lock_guard lock(mu_);
    registers_.push_back(message.register_());
    current_ = stream;
    current_context_ = context;
    v1::SchedulerMessage registered;
    registered.mutable_registered()->set_heartbeat_interval_ms(200);
    registered.mutable_registered()->set_lease_timeout_ms(5000);
    stream->Write(registered);
    changed_.notify_all();
  }
  while (stream->Read(&message)) Handle(message, stream);
  std::lock_guard lock(mu_);
  if (current_ == stream) {
    current_ = nullptr;
    current_context_ = nullptr;
  }
  changed_.notify_all();
  return grpc::Status::OK;
}

void FakeScheduler::Handle(const v1::WorkerMessage& message, Stream* stream) {
  std::lock_guard lock(mu_);
  if (message.has_telemetry()) {
    StoreTelemetry(message.telemetry(), stream);
  } else if (message.has_checkpoint()) {
    const auto& c = message.checkpoint();
    const std::string key = "ckpt:" + Key(c.job_id(), c.attempt());
    if (c.offset() == 0) partial_[key].clear();
    EXPECT_EQ(partial_[key].size(), c.offset()) << "checkpoint chunks out of order";
    partial_[key] += c.data();
    if (c.last()) {
      attempts_[Key(c.job_id(), c.attempt())].checkpoints.emplace_back(c.step(), partial_[key]);
      v1::SchedulerMessage ack;
      ack.mutable_checkpoint_ack()->set_job_id(c.job_id());
      ack.mutable_checkpoint_ack()->set_step(c.step());
      stream->Write(ack);
    }
  } else if (message.has_artifact()) {
    const auto& a = message.artifact();
    const std::string key = "art:" + Key(a.job_id(), a.attempt()) + ":" + a.name();
    if (a.offset() == 0) partial_[key].clear();
    partial_[key] += a.data();
    if (a.last()) attempts_[Key(a.job_id(), a.attempt())].artifacts[a.name()] = partial_[key];
  } else if (message.has_finished()) {
    const auto& f = message.finished();
    attempts_[Key(f.job_id(), f.attempt())].finished.push_back(f);
  } else if (message.has_cancel_ack()) {
    cancel_acks_.push_back(message.cancel_ack().job_id());
  } else if (message.has_heartbeat()) {
    ++heartbeats_;
    if (message.heartbeat().draining() && finished_before_drain_ < 0) {
      finished_before_drain_ = static_cast<int>(AllFinished().size());
    }
  }
  changed_.notify_all();
}

void FakeScheduler::StoreTelemetry(const v1::TelemetryBatch& batch, Stream* stream) {
  Attempt& a = attempts_[Key(batch.job_id(), batch.attempt())];
  for (int i = 0; i < batch.events_size(); ++i) {
    const uint64_t index = batch.first_index() + i;
    if (index <= a.stored_upto) continue;   // already stored
    if (index != a.stored_upto + 1) break;  // a gap: keep only what is contiguous
    a.events[index] = batch.events(i);
    a.stored_upto = index;
  }
  if (!auto_ack_) return;
  v1::SchedulerMessage ack;
  ack.mutable_telemetry_ack()->set_job_id(batch.job_id());
  ack.mutable_telemetry_ack()->set_attempt(batch.attempt());
  ack.mutable_telemetry_ack()->set_acked_index(a.stored_upto);
  stream->Write(ack);
}

bool FakeScheduler::Send(const v1::SchedulerMessage& message) {
  std::lock_guard lock(mu_);
  return current_ != nullptr && current_->Write(message);
}

bool FakeScheduler::Assign(const std::string& job_id, uint32_t attempt, const v1::JobSpec& spec,
                           const std::string& checkpoint, uint64_t checkpoint_step,
                           uint64_t acked_index) {
  v1::SchedulerMessage m;
  auto* a = m.mutable_assignment();
  a->set_job_id(job_id);
  a->set_attempt(attempt);
  *a->mutable_spec() = spec;
  a->set_checkpoint(checkpoint);
  a->set_checkpoint_step(checkpoint_step);
  a->set_acked_index(acked_index);
  {
    std::lock_guard lock(mu_);
    attempts_[Key(job_id, attempt)].stored_upto = acked_index;
  }
  return Send(m);
}

bool FakeScheduler::Cancel(const std::string& job_id) {
  v1::SchedulerMessage m;
  m.mutable_cancel()->set_job_id(job_id);
  m.mutable_cancel()->set_reason("test");
  return Send(m);
}

void FakeScheduler::DropStream() {
  std::lock_guard lock(mu_);
  if (current_context_ != nullptr) current_context_->TryCancel();
}

void FakeScheduler::SetAutoAck(bool on) {
  std::lock_guard lock(mu_);
  auto_ack_ = on;
}

void FakeScheduler::SetStored(const std::string& job_id, uint32_t attempt, uint64_t index) {
  std::lock_guard lock(mu_);
  attempts_[Key(job_id, attempt)].stored_upto = index;
}

bool FakeScheduler::WaitFor(const std::function<bool(const FakeScheduler&)>& done,
                            std::chrono::seconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return done(*this); });
}

const FakeScheduler::Attempt* FakeScheduler::attempt(const std::string& job_id,
                                                     uint32_t attempt) const {
  auto it = attempts_.find(Key(job_id, attempt));
  return it == attempts_.end() ? nullptr : &it->second;
}

std::vector<v1::JobFinished> FakeScheduler::AllFinished() const {
  std::vector<v1::JobFinished> out;
  for (const auto& [key, a] : attempts_)
    out.insert(out.end(), a.finished.begin(), a.finished.end());
  return out;
}

}  // namespace ptune::agent::testing
