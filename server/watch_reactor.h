#ifndef PTUNE_SERVER_WATCH_REACTOR_H_
#define PTUNE_SERVER_WATCH_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "server/event_hub.h"
#include "server/metrics.h"
#include "server/store/job_store.h"

namespace ptune::server {

// One WatchJob stream. Sends the job's events with seq > after_seq in order, each
// exactly once: first from the store, then live from its EventHub subscription; when
// the subscription overflowed or skipped (a slow client), it catches up from the store
// again. Ends after the job's final StateChange was written. Deletes itself when done.
// Writes raw bytes (WatchJob is a raw callback method): live events were serialised
// once for all watchers (WireEvent); the wire format is exactly a JobEvent stream.
// Batched (WatchJobBatched), each write is one JobEventBatch framed from those same
// bytes, carrying every queued event up to kMaxBatchBytes / kMaxBatchEvents: one round
// trip per batch instead of per event.
class WatchReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  static constexpr size_t kMaxBatchBytes = 256 * 1024;
  static constexpr size_t kMaxBatchEvents = 4096;

  // `finished`: the job is final and has no event after `after_seq`; the stream ends
  // at once. `batched`: write JobEventBatch messages instead of single JobEvents.
  WatchReactor(JobStore* store, EventHub* hub, SchedulerMetrics* metrics, std::string job_id,
               uint64_t after_seq, bool finished, bool batched);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // Starts the next write if none is in flight.
  void Pump() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Refill() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves the next message's events from queue_ to current_ and frames current_buffer_.
  void TakeMessage() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues the taken live events that continue the sequence; false on a gap.
  bool QueueLive(const std::vector<SharedEvent>& taken) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishOnce(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  JobStore* const store_;
  EventHub* const hub_;
  SchedulerMetrics* const metrics_;
  const std::string job_id_;
  const bool batched_;
  std::shared_ptr<EventHub::Subscription> subscription_;

  std::mutex mu_;
  std::deque<SharedEvent> queue_ ABSL_GUARDED_BY(mu_);
  // The events of the write in flight, in seq order.
  std::vector<SharedEvent> current_ ABSL_GUARDED_BY(mu_);
  // The write in flight: refers to current_'s bytes (no copy); lives until OnWriteDone.
  grpc::ByteBuffer current_buffer_ ABSL_GUARDED_BY(mu_);
  uint64_t last_queued_ ABSL_GUARDED_BY(mu_);
  bool catch_up_ ABSL_GUARDED_BY(mu_) = true;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_WATCH_REACTOR_H_
