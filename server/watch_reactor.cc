#include "server/watch_reactor.h"

#include <algorithm>
#include <utility>

#include "common/job_state.h"
#include "server/grpc_status.h"

namespace ptune::server {
namespace {

// Events read from the store per catch-up round.
constexpr size_t kStorePage = 512;

bool IsFinalChange(const ptune::v1::JobEvent& event) {
  return event.has_state() && IsFinal(event.state().to());
}

}  // namespace

WatchReactor::WatchReactor(JobStore* store, EventHub* hub, SchedulerMetrics* metrics,
                           std::string job_id, uint64_t after_seq, bool finished, bool batched)
    : store_(store),
      hub_(hub),
      metrics_(metrics),
      job_id_(std::move(job_id)),
      batched_(batched),
      last_queued_(after_seq) {
  metrics_->WatchStarted();
  // Subscribe before the first store read: every event is then either already in the
  // store when we read it, or published to us afterwards (events are published only
  // after they are durable), so nothing falls in between.
  std::shared_ptr<EventHub::Subscription> subscription = hub_->Subscribe(job_id_, [this] {
    std::lock_guard<std::mutex> lock(mu_);
    // A publish may notify between Subscribe and the assignment below (the load test's
    // scheduler crashed on the null subscription); the Pump below takes what was offered.
    if (subscription_ == nullptr) return;
    Pump();
  });
  // Not held across Subscribe: Publish holds the hub's lock while it takes ours.
  std::lock_guard<std::mutex> lock(mu_);
  subscription_ = std::move(subscription);
  if (finished) {
    FinishOnce(grpc::Status::OK);
  } else {
    Pump();
  }
}

void WatchReactor::Pump() {
  if (writing_ || finished_) return;
  if (queue_.empty()) Refill();
  if (queue_.empty() || finished_) return;
  TakeMessage();
  writing_ = true;
  // No buffer_hint: a hinted write may not complete until a later write, and the next
  // write waits for this one to complete.
  StartWrite(&current_buffer_);
}

void WatchReactor::TakeMessage() {
  if (!batched_) {
    current_.push_back(std::move(queue_.front()));
    queue_.pop_front();
    current_buffer_ = grpc::ByteBuffer(&current_.front()->bytes, 1);
    return;
  }
  std::vector<grpc::Slice> slices;
  size_t bytes = 0;
  while (!queue_.empty() && current_.size() < kMaxBatchEvents) {
    const WireEvent& next = *queue_.front();
    const size_t size = next.batch_header.size() + next.bytes.size();
    if (!current_.empty() && bytes + size > kMaxBatchBytes) break;
    bytes += size;
    slices.push_back(next.batch_header);
    slices.push_back(next.bytes);
    current_.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  current_buffer_ = grpc::ByteBuffer(slices.data(), slices.size());
}

void WatchReactor::Refill() {
  std::vector<SharedEvent> taken;
  if (subscription_->Take(&taken)) catch_up_ = true;
  if (!catch_up_ && QueueLive(taken)) return;
  catch_up_ = true;
  absl::StatusOr<std::vector<ptune::v1::JobEvent>> stored =
      store_->ReadEvents(job_id_, last_queued_, kStorePage);
  if (!stored.ok()) {
    FinishOnce(ToGrpcStatus(stored.status()));
    return;
  }
  for (ptune::v1::JobEvent& event : *stored) {
    last_queued_ = event.seq();
    queue_.push_back(MakeSharedEvent(std::move(event)));
  }
  if (stored->size() < kStorePage) {
    catch_up_ = false;
    // Live events newer than the store read continue the sequence.
    if (!QueueLive(taken)) catch_up_ = true;
  }
}

bool WatchReactor::QueueLive(const std::vector<SharedEvent>& taken) {
  for (const SharedEvent& event : taken) {
    const uint64_t seq = event->event.seq();
    if (seq <= last_queued_) continue;  // already sent or queued
    if (seq != last_queued_ + 1) return false;
    last_queued_ = seq;
    queue_.push_back(event);
  }
  return true;
}

void WatchReactor::OnWriteDone(bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  writing_ = false;
  if (!ok) {
    FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "watcher went away"));
    return;
  }
  if (std::any_of(current_.begin(), current_.end(),
                  [](const SharedEvent& event) { return IsFinalChange(event->event); })) {
    FinishOnce(grpc::Status::OK);
    return;
  }
  current_buffer_.Clear();
  current_.clear();
  Pump();
}

void WatchReactor::OnCancel() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!writing_) FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
}

void WatchReactor::FinishOnce(const grpc::Status& status) {
  if (finished_) return;
  finished_ = true;
  Finish(status);
}

void WatchReactor::OnDone() {
  hub_->Unsubscribe(subscription_);
  metrics_->WatchEnded();
  delete this;
}

}  // namespace ptune::server
