#ifndef PTUNE_SERVER_EVENT_HUB_H_
#define PTUNE_SERVER_EVENT_HUB_H_

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "ptune/v1/events.pb.h"
#include "server/wire_event.h"

namespace ptune::server {

// Live fan-out of stored job events to watchers. Publishing never blocks on a watcher:
// each subscription has a bounded buffer, and a subscription whose buffer is full only
// records that it overflowed; its watcher then catches up from the store (events are
// published only after they are durable, so the store always has them).
class EventHub {
 public:
  class Subscription {
   public:
    // Moves the buffered events into `out` (ascending seq per job); returns true when
    // events were dropped since the last Take because the buffer was full.
    bool Take(std::vector<SharedEvent>* out);

   private:
    friend class EventHub;
    Subscription(std::string job_id, size_t capacity, std::function<void()> notify)
        : job_id_(std::move(job_id)), capacity_(capacity), notify_(std::move(notify)) {}
    // Buffers events [begin, end) under one lock, or records the overflow.
    void Offer(std::vector<SharedEvent>::const_iterator begin,
               std::vector<SharedEvent>::const_iterator end);

    const std::string job_id_;
    const size_t capacity_;
    // Called (without locks of the hub held by the caller's code paths other than
    // the hub's own) after new events were offered. Must not call into the hub.
    const std::function<void()> notify_;
    std::mutex mu_;
    std::deque<SharedEvent> buffer_ ABSL_GUARDED_BY(mu_);
    bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
  };

  explicit EventHub(size_t buffer_capacity = 4096) : capacity_(buffer_capacity) {}

  // Starts buffering events of `job_id` published from now on; `notify` runs on the
  // publishing thread after each publish that offered events to this subscription.
  std::shared_ptr<Subscription> Subscribe(const std::string& job_id, std::function<void()> notify);
  void Unsubscribe(const std::shared_ptr<Subscription>& subscription);
  // Offers durable events (ascending seq per job) to the subscribers of their jobs.
  // Each event is encoded for the wire once, here, and shared by every watcher.
  void Publish(std::vector<ptune::v1::JobEvent> events);

  size_t subscriptions() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Subscription>>> by_job_
      ABSL_GUARDED_BY(mu_);
  size_t count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_EVENT_HUB_H_
