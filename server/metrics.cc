#include "server/metrics.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "prometheus/exposer.h"
#include "prometheus/text_serializer.h"

namespace ptune::server {
namespace {

using prometheus::Histogram;

// Latencies of RPCs and store writes: 100 µs .. ~30 s.
Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30};
}

// Queue waits and job durations: 10 ms .. 1 day.
Histogram::BucketBoundaries JobBuckets() {
  return {0.01, 0.1, 1, 5, 15, 60, 300, 900, 1800, 3600, 3 * 3600, 12 * 3600, 86400};
}

}  // namespace

SchedulerMetrics::SchedulerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      jobs_submitted_(prometheus::BuildCounter()
                          .Name("ptune_jobs_submitted_total")
                          .Help("Jobs accepted by SubmitJob (durable, not counting repeats).")
                          .Register(*registry_)
                          .Add({})),
      jobs_finished_(prometheus::BuildCounter()
                         .Name("ptune_jobs_finished_total")
                         .Help("Jobs that reached a final state, by result.")
                         .Register(*registry_)),
      job_duration_(prometheus::BuildHistogram()
                        .Name("ptune_job_duration_seconds")
                        .Help("Submit to final state, by result.")
                        .Register(*registry_)),
      queue_wait_(prometheus::BuildHistogram()
                      .Name("ptune_queue_wait_seconds")
                      .Help("Time a job waited in the queue before an assignment.")
                      .Register(*registry_)
                      .Add({}, JobBuckets())),
      queue_depth_(prometheus::BuildGauge()
                       .Name("ptune_queue_depth")
                       .Help("Queued jobs by priority.")
                       .Register(*registry_)),
      workers_(prometheus::BuildGauge()
                   .Name("ptune_workers")
                   .Help("Known workers by state.")
                   .Register(*registry_)),
      events_ingested_(prometheus::BuildCounter()
                           .Name("ptune_events_ingested_total")
                           .Help("Job events stored (telemetry and state changes).")
                           .Register(*registry_)
                           .Add({})),
      watch_streams_(prometheus::BuildGauge()
                         .Name("ptune_watch_streams")
                         .Help("Open WatchJob streams.")
                         .Register(*registry_)
                         .Add({})),
      store_write_(prometheus::BuildHistogram()
                       .Name("ptune_store_write_seconds")
                       .Help("Time from a store commit request to durability.")
                       .Register(*registry_)
                       .Add({}, LatencyBuckets())),
      rpcs_(prometheus::BuildCounter()
                .Name("ptune_grpc_requests_total")
                .Help("gRPC calls handled, by method and status code.")
                .Register(*registry_)),
      rpc_latency_(prometheus::BuildHistogram()
                       .Name("ptune_grpc_request_duration_seconds")
                       .Help("gRPC call duration (streams: until they end), by method.")
                       .Register(*registry_)) {
  for (const char* state : {"idle", "busy", "draining", "lost"}) workers_.Add({{"state", state}});
}

SchedulerMetrics::~SchedulerMetrics() = default;

absl::Status SchedulerMetrics::Serve(const std::string& address) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics: cannot listen on ", address, ": ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  return absl::OkStatus();
}

int SchedulerMetrics::port() const {
  if (exposer_ == nullptr) return 0;
  std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

std::string SchedulerMetrics::Text() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

void SchedulerMetrics::JobFinished(const std::string& result, double duration_seconds) {
  jobs_finished_.Add({{"result", result}}).Increment();
  job_duration_.Add({{"result", result}}, JobBuckets()).Observe(duration_seconds);
}

void SchedulerMetrics::SetQueueDepth(const std::map<int32_t, size_t>& depth_by_priority) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [priority, depth] : depth_by_priority) priorities_seen_.insert(priority);
  // Priorities seen before keep their series, set to 0 when empty.
  for (int32_t priority : priorities_seen_) {
    auto it = depth_by_priority.find(priority);
    const double depth = it == depth_by_priority.end() ? 0 : static_cast<double>(it->second);
    queue_depth_.Add({{"priority", std::to_string(priority)}}).Set(depth);
  }
}

void SchedulerMetrics::SetWorkers(const std::map<std::string, size_t>& by_state) {
  for (const auto& [state, count] : by_state) {
    workers_.Add({{"state", state}}).Set(static_cast<double>(count));
  }
}

void SchedulerMetrics::Rpc(const std::string& method, const std::string& code, double seconds) {
  rpcs_.Add({{"method", method}, {"code", code}}).Increment();
  rpc_latency_.Add({{"method", method}}, LatencyBuckets()).Observe(seconds);
}

}  // namespace ptune::server
