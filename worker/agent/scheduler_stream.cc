#include "worker/agent/scheduler_stream.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace ptune::agent {

SchedulerStream::SchedulerStream(const std::shared_ptr<grpc::Channel>& channel,
                                 SchedulerStreamOptions options)
    : options_(std::move(options)), stub_(v1::WorkerService::NewStub(channel)) {
  if (!options_.token.empty()) {
    context_.AddMetadata("authorization", absl::StrCat("Bearer ", options_.token));
  }
}

absl::StatusOr<std::unique_ptr<SchedulerStream>> SchedulerStream::Open(
    const std::shared_ptr<grpc::Channel>& channel, const v1::Register& registration,
    SchedulerStreamOptions options) {
  const auto deadline = std::chrono::system_clock::now() + options.connect_timeout;
  if (!channel->WaitForConnected(deadline)) {
    return absl::UnavailableError("scheduler not reachable");
  }
  std::unique_ptr<SchedulerStream> stream(new SchedulerStream(channel, std::move(options)));
  stream->stream_ = stream->stub_->Connect(&stream->context_);
  v1::WorkerMessage hello;
  *hello.mutable_register_() = registration;
  // A failed write shows up as the end of the stream in AwaitRegistered.
  stream->broken_ = !stream->stream_->Write(hello);
  stream->reader_ = std::thread([s = stream.get()] { s->ReadLoop(); });
  if (absl::Status status = stream->AwaitRegistered(); !status.ok()) return status;
  return stream;
}

SchedulerStream::~SchedulerStream() {
  context_.TryCancel();
  if (reader_.joinable()) reader_.join();
  // Finish only once no other thread can use the stream: the owner is destroying it.
  if (!finished_) stream_->Finish();
}

bool SchedulerStream::Write(const v1::WorkerMessage& message) {
  if (broken_) return false;
  if (!stream_->Write(message)) broken_ = true;
  return !broken_;
}

absl::Status SchedulerStream::AwaitRegistered() {
  std::unique_lock lock(mu_);
  const bool answered = registered_cv_.wait_for(lock, options_.connect_timeout,
                                                [&] { return have_registered_ || ended_; });
  if (have_registered_) return absl::OkStatus();
  if (!answered) {
    // Silent scheduler: end the call (the reader then sees the stream end).
    lock.unlock();
    context_.TryCancel();
    lock.lock();
    registered_cv_.wait(lock, [&] { return ended_; });
    return absl::UnavailableError("scheduler did not answer Register in time");
  }
  lock.unlock();
  // The scheduler ended the stream: its status says why (e.g. UNAUTHENTICATED).
  const grpc::Status status = stream_->Finish();
  finished_ = true;
  if (status.ok() || status.error_code() == grpc::StatusCode::CANCELLED) {
    return absl::UnavailableError("scheduler closed the stream before Registered");
  }
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat("scheduler refused the worker: ", status.error_message()));
}

void SchedulerStream::ReadLoop() {
  v1::SchedulerMessage message;
  bool registered = false;
  while (stream_->Read(&message)) {
    if (!registered) {
      if (!message.has_registered()) break;  // protocol violation: drop the stream
      std::lock_guard lock(mu_);
      registered_ = message.registered();
      registered = have_registered_ = true;
      registered_cv_.notify_all();
      continue;
    }
    options_.on_message(std::move(message));
    message.Clear();
  }
  broken_ = true;
  {
    std::lock_guard lock(mu_);
    ended_ = true;
    registered_cv_.notify_all();
  }
  if (registered && options_.on_broken) options_.on_broken();
}

}  // namespace ptune::agent
