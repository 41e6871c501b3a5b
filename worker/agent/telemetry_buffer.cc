#include "worker/agent/telemetry_buffer.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace ptune::agent {

TelemetryBuffer::TelemetryBuffer(std::string job_id, uint32_t attempt, uint64_t acked_index,
                                 const TelemetryBufferOptions& options)
    : job_id_(std::move(job_id)),
      attempt_(attempt),
      options_(options),
      acked_index_(acked_index),
      next_index_(acked_index + 1) {}

void TelemetryBuffer::Append(v1::JobEvent event, Clock::time_point now) {
  event.set_job_id(job_id_);
  event.set_attempt(attempt_);
  event.clear_seq();
  pending_.push_back({std::move(event), now});
  if (size() > options_.capacity) Thin();
}

bool TelemetryBuffer::BatchDue(Clock::time_point now, bool flush) const {
  if (sent_in_numbered_ >= options_.max_in_flight) return false;
  const size_t waiting = unsent();
  if (waiting == 0) return false;
  if (flush || waiting >= options_.max_batch_events) return true;
  // Re-sends after a reconnect go out at once; new events wait for company.
  if (sent_in_numbered_ < numbered_.size()) return true;
  return now - pending_.front().arrival >= options_.max_delay;
}

std::optional<v1::TelemetryBatch> TelemetryBuffer::NextBatch() {
  if (sent_in_numbered_ >= options_.max_in_flight || unsent() == 0) return std::nullopt;
  v1::TelemetryBatch batch;
  batch.set_job_id(job_id_);
  batch.set_attempt(attempt_);
  batch.set_first_index(acked_index_ + 1 + sent_in_numbered_);
  // Unacknowledged events of an earlier stream first: they keep their indexes.
  while (sent_in_numbered_ < numbered_.size() &&
         static_cast<size_t>(batch.events_size()) < options_.max_batch_events) {
    *batch.add_events() = numbered_[sent_in_numbered_++];
  }
  while (!pending_.empty() &&
         static_cast<size_t>(batch.events_size()) < options_.max_batch_events) {
    numbered_.push_back(std::move(pending_.front().event));
    pending_.pop_front();
    ++next_index_;
    *batch.add_events() = numbered_.back();
    ++sent_in_numbered_;
  }
  return batch;
}

void TelemetryBuffer::Ack(uint64_t acked_index) {
  if (acked_index <= acked_index_) return;
  // Never acknowledge what was not numbered yet: that ack is not about our events.
  const uint64_t highest = acked_index_ + numbered_.size();
  if (acked_index > highest) return;
  const size_t released = static_cast<size_t>(acked_index - acked_index_);
  numbered_.erase(numbered_.begin(), numbered_.begin() + static_cast<ptrdiff_t>(released));
  sent_in_numbered_ = sent_in_numbered_ > released ? sent_in_numbered_ - released : 0;
  acked_index_ = acked_index;
}

void TelemetryBuffer::Rewind() { sent_in_numbered_ = 0; }

void TelemetryBuffer::Thin() {
  while (size() > options_.capacity) {
    std::vector<size_t> steps;  // positions of unsent step records in pending_
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (pending_[i].event.has_step()) steps.push_back(i);
    }
    if (steps.size() < 3) return;
    // Drop every other record of the oldest half; the newest step record survives.
    const size_t span = std::min(std::max<size_t>(2, steps.size() / 2), steps.size() - 1);
    std::vector<bool> drop(pending_.size(), false);
    for (size_t k = 1; k < span; k += 2) drop[steps[k]] = true;
    std::deque<Pending> kept;
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (drop[i]) {
        ++thinned_;
      } else {
        kept.push_back(std::move(pending_[i]));
      }
    }
    pending_ = std::move(kept);
  }
}

}  // namespace ptune::agent
