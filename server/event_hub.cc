#include "server/event_hub.h"

#include <algorithm>
#include <iterator>

namespace ptune::server {

bool EventHub::Subscription::Take(std::vector<SharedEvent>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  out->insert(out->end(), std::make_move_iterator(buffer_.begin()),
              std::make_move_iterator(buffer_.end()));
  buffer_.clear();
  const bool overflowed = overflowed_;
  overflowed_ = false;
  return overflowed;
}

void EventHub::Subscription::Offer(std::vector<SharedEvent>::const_iterator begin,
                                   std::vector<SharedEvent>::const_iterator end) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = begin; it != end; ++it) {
    if (buffer_.size() >= capacity_) {
      // The watcher re-reads from the store from its last queued seq, so the rest of
      // this run is not needed either.
      overflowed_ = true;
      return;
    }
    buffer_.push_back(*it);
  }
}

std::shared_ptr<EventHub::Subscription> EventHub::Subscribe(const std::string& job_id,
                                                            std::function<void()> notify) {
  std::shared_ptr<Subscription> subscription(
      new Subscription(job_id, capacity_, std::move(notify)));
  std::lock_guard<std::mutex> lock(mu_);
  by_job_[job_id].push_back(subscription);
  ++count_;
  return subscription;
}

void EventHub::Unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_job_.find(subscription->job_id_);
  if (it == by_job_.end()) return;
  auto& list = it->second;
  auto found = std::find(list.begin(), list.end(), subscription);
  if (found == list.end()) return;
  list.erase(found);
  --count_;
  if (list.empty()) by_job_.erase(it);
}

void EventHub::Publish(std::vector<ptune::v1::JobEvent> messages) {
  // Encoded before taking mu_: serialisation is the costly part.
  std::vector<SharedEvent> events;
  events.reserve(messages.size());
  for (ptune::v1::JobEvent& message : messages)
    events.push_back(MakeSharedEvent(std::move(message)));
  std::lock_guard<std::mutex> lock(mu_);
  // Events arrive grouped by job; each run of one job's events is offered to that
  // job's subscriptions, which are then notified once. Notifying under mu_ keeps
  // Unsubscribe (also under mu_) from racing a notify into a watcher being destroyed.
  for (size_t begin = 0; begin < events.size();) {
    size_t end = begin + 1;
    const std::string& job_id = events[begin]->event.job_id();
    while (end < events.size() && events[end]->event.job_id() == job_id) ++end;
    auto it = by_job_.find(job_id);
    if (it != by_job_.end()) {
      for (const auto& subscription : it->second) {
        subscription->Offer(events.begin() + begin, events.begin() + end);
        subscription->notify_();
      }
    }
    begin = end;
  }
}

size_t EventHub::subscriptions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return count_;
}

}  // namespace ptune::server
