#ifndef PTUNE_SERVER_METRICS_H_
#define PTUNE_SERVER_METRICS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace prometheus {
class Exposer;
}

namespace ptune::server {

// The scheduler's Prometheus metrics: `ptune_` prefix, base units (seconds), `_total`
// counters, and no job-id labels (unbounded cardinality; per-job curves are served by
// WatchJob). Thread-safe (prometheus-cpp metrics are).
class SchedulerMetrics {
 public:
  SchedulerMetrics();
  ~SchedulerMetrics();

  // Serves /metrics on `address` (host:port, port 0 picks one). UNAVAILABLE when the
  // address cannot be bound.
  absl::Status Serve(const std::string& address);
  // The bound metrics port, 0 when not serving.
  int port() const;
  // The exposition text, as served (for tests and logs).
  std::string Text() const;

  void JobSubmitted() { jobs_submitted_.Increment(); }
  // result: succeeded, failed or cancelled.
  void JobFinished(const std::string& result, double duration_seconds);
  void QueueWait(double seconds) { queue_wait_.Observe(seconds); }
  void SetQueueDepth(const std::map<int32_t, size_t>& depth_by_priority);
  void SetWorkers(const std::map<std::string, size_t>& by_state);
  void EventsIngested(size_t count) { events_ingested_.Increment(static_cast<double>(count)); }
  void WatchStarted() { watch_streams_.Increment(); }
  void WatchEnded() { watch_streams_.Decrement(); }
  void StoreWrite(double seconds) { store_write_.Observe(seconds); }
  void Rpc(const std::string& method, const std::string& code, double seconds);

 private:
  std::mutex mu_;
  std::set<int32_t> priorities_seen_;  // guarded by mu_; their series drop to 0 when empty
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Counter& jobs_submitted_;
  prometheus::Family<prometheus::Counter>& jobs_finished_;
  prometheus::Family<prometheus::Histogram>& job_duration_;
  prometheus::Histogram& queue_wait_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Family<prometheus::Gauge>& workers_;
  prometheus::Counter& events_ingested_;
  prometheus::Gauge& watch_streams_;
  prometheus::Histogram& store_write_;
  prometheus::Family<prometheus::Counter>& rpcs_;
  prometheus::Family<prometheus::Histogram>& rpc_latency_;
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_METRICS_H_
