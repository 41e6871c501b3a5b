#ifndef PTUNE_WORKER_AGENT_TELEMETRY_BUFFER_H_
#define PTUNE_WORKER_AGENT_TELEMETRY_BUFFER_H_

// The outgoing telemetry of one job attempt, between the engine and the scheduler.
//
// Protocol (proto/ptune/v1/worker_service.proto): the events of an attempt carry
// consecutive indexes from 1; the scheduler acknowledges the highest contiguous index it
// stored, and the worker re-sends unacknowledged events after a reconnect.
//
// Events are numbered when they are first put into a batch, not when they arrive. That
// keeps the indexes gap-free even when the buffer thins events that were never sent,
// while an event that may already be stored (sent once) keeps its index for ever.
//
// Bounded: beyond `capacity` events the oldest *unsent step records* are thinned
// (every other one in the oldest half, repeatedly), so old history gets coarser while
// recent steps stay dense. State changes, eval results, checkpoints, artifacts,
// topology snapshots and log lines are never dropped; if only those remain the buffer
// grows past its capacity rather than lose them.
//
// Not thread-safe: the owner serialises calls.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "ptune/v1/worker_service.pb.h"

namespace ptune::agent {

struct TelemetryBufferOptions {
  // Events held (unsent + sent but unacknowledged) before step records are thinned.
  size_t capacity = 20000;
  // Most events in one TelemetryBatch.
  size_t max_batch_events = 200;
  // Unsent events older than this make a batch due even when it is not full.
  std::chrono::milliseconds max_delay{500};
  // No new batch while this many sent events wait for their acknowledgement.
  size_t max_in_flight = 2000;
};

class TelemetryBuffer {
 public:
  using Clock = std::chrono::steady_clock;

  // `acked_index`: events up to this index were already stored for the attempt
  // (Assignment.acked_index); numbering continues after it.
  TelemetryBuffer(std::string job_id, uint32_t attempt, uint64_t acked_index,
                  const TelemetryBufferOptions& options);

  // Queues one event (its job_id/attempt are overwritten with the buffer's). Thins
  // step records when over capacity. `now` is the arrival time for batching.
  void Append(v1::JobEvent event, Clock::time_point now);

  // True when a batch should be sent now: a full batch is waiting, or the oldest unsent
  // event waited max_delay, or `flush` is set and anything is unsent. False while
  // max_in_flight events are unacknowledged.
  bool BatchDue(Clock::time_point now, bool flush = false) const;

  // Numbers and returns up to max_batch_events unsent events, oldest first; nullopt
  // when nothing is unsent or the in-flight window is full.
  std::optional<v1::TelemetryBatch> NextBatch();

  // The scheduler stored every event up to `acked_index`: they are released. Stale or
  // out-of-range acknowledgements (beyond what was sent) are ignored.
  void Ack(uint64_t acked_index);

  // The stream broke: every sent but unacknowledged event is sent again, in order.
  void Rewind();

  const std::string& job_id() const { return job_id_; }
  uint32_t attempt() const { return attempt_; }
  uint64_t acked_index() const { return acked_index_; }
  // Highest index given to an event so far (0 if none).
  uint64_t last_index() const { return next_index_ - 1; }
  // True when every event was numbered, sent and acknowledged.
  bool Drained() const { return pending_.empty() && numbered_.empty(); }
  size_t size() const { return pending_.size() + numbered_.size(); }
  size_t unsent() const { return pending_.size() + (numbered_.size() - sent_in_numbered_); }
  // Step records dropped by thinning since construction.
  uint64_t thinned() const { return thinned_; }

 private:
  struct Pending {
    v1::JobEvent event;
    Clock::time_point arrival;
  };
  void Thin();

  const std::string job_id_;
  const uint32_t attempt_;
  const TelemetryBufferOptions options_;

  // Numbered events acked_index_+1 .. next_index_-1, in index order. The first
  // sent_in_numbered_ of them were written on the current stream.
  std::deque<v1::JobEvent> numbered_;
  size_t sent_in_numbered_ = 0;
  // Events not yet numbered (never sent), in arrival order.
  std::deque<Pending> pending_;
  uint64_t acked_index_;
  uint64_t next_index_;
  uint64_t thinned_ = 0;
};

}  // namespace ptune::agent

#endif  // PTUNE_WORKER_AGENT_TELEMETRY_BUFFER_H_
