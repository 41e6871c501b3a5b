#ifndef PTUNE_WORKER_AGENT_WORKER_METRICS_H_
#define PTUNE_WORKER_AGENT_WORKER_METRICS_H_

// The worker's Prometheus metrics. Names carry the `ptune_worker_` prefix and base units.
// No job_id label (unbounded cardinality): the current job's gauges are labelled only by
// worker; per-job curves come from the telemetry stream. Thread-safe.

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ptune/v1/worker_service.pb.h"
#include "worker/agent/metrics_http_server.h"

namespace ptune::agent {

class WorkerMetrics {
 public:
  // `listen` ("host:port", port 0 picks one; "" = no HTTP endpoint) serves /metrics.
  // INVALID_ARGUMENT / UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<WorkerMetrics>> Create(const std::string& worker_id,
                                                               const std::string& listen);

  // Updates histograms and current-job gauges from one telemetry event.
  void ObserveEvent(const v1::JobEvent& event);
  void JobFinished(v1::JobFinished::Result result);
  void SetRunningJobs(int jobs);
  void SetConnected(bool connected);
  void CountReconnect();
  void SetTelemetryBuffered(size_t events);
  void CountTelemetryThinned(uint64_t events);
  void SetDevices(const std::vector<v1::Device>& devices);

  // The port /metrics is served on (0 when not served).
  int port() const;
  // The current exposition text (what /metrics returns).
  std::string Scrape() const;

 private:
  WorkerMetrics(const std::string& worker_id);

  const std::string worker_id_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<MetricsHttpServer> server_;  // after registry_: stops first
  prometheus::Histogram* step_seconds_;
  prometheus::Histogram* persistence_seconds_;
  prometheus::Gauge* tokens_per_second_;
  prometheus::Gauge* loss_;
  prometheus::Gauge* tsloss_;
  prometheus::Gauge* step_;
  prometheus::Gauge* eval_accuracy_;
  prometheus::Gauge* h0_total_persistence_;
  prometheus::Gauge* h1_total_persistence_;
  prometheus::Gauge* h0_bars_;
  prometheus::Gauge* h1_bars_;
  prometheus::Gauge* running_jobs_;
  prometheus::Gauge* connected_;
  prometheus::Counter* reconnects_;
  prometheus::Gauge* telemetry_buffered_;
  prometheus::Counter* telemetry_thinned_;
  prometheus::Family<prometheus::Counter>* jobs_;
  prometheus::Family<prometheus::Gauge>* device_memory_;
};

}  // namespace ptune::agent

#endif  // PTUNE_WORKER_AGENT_WORKER_METRICS_H_
