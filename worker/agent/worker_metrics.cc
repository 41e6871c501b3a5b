#include "worker/agent/worker_metrics.h"

#include <prometheus/text_serializer.h>

#include "absl/strings/str_cat.h"

namespace ptune::agent {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

prometheus::Gauge* AddGauge(prometheus::Registry& registry, const std::string& name,
                            const std::string& help, const std::string& worker) {
  return &BuildGauge().Name(name).Help(help).Register(registry).Add({{"worker", worker}});
}

const char* ResultName(v1::JobFinished::Result result) {
  switch (result) {
    case v1::JobFinished::RESULT_SUCCEEDED:
      return "succeeded";
    case v1::JobFinished::RESULT_FAILED:
      return "failed";
    case v1::JobFinished::RESULT_CANCELLED:
      return "cancelled";
    case v1::JobFinished::RESULT_PREEMPTED:
      return "preempted";
    default:
      return "unknown";
  }
}

}  // namespace

WorkerMetrics::WorkerMetrics(const std::string& worker_id)
    : worker_id_(worker_id), registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  const prometheus::Labels w{{"worker", worker_id_}};
  step_seconds_ = &BuildHistogram()
                       .Name("ptune_worker_step_seconds")
                       .Help("Wall time of one optimizer step")
                       .Register(r)
                       .Add(w, prometheus::Histogram::BucketBoundaries{
                                   0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  persistence_seconds_ = &BuildHistogram()
                              .Name("ptune_worker_persistence_seconds")
                              .Help("Time in persistent homology per step (TSLoss, telemetry)")
                              .Register(r)
                              .Add(w, prometheus::Histogram::BucketBoundaries{
                                          0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5});
  tokens_per_second_ = AddGauge(r, "ptune_worker_tokens_per_second",
                                "Training throughput of the latest step", worker_id_);
  loss_ = AddGauge(r, "ptune_worker_job_loss", "Loss of the current job's latest step", worker_id_);
  tsloss_ = AddGauge(r, "ptune_worker_job_tsloss", "TSLoss term of the latest step", worker_id_);
  step_ = AddGauge(r, "ptune_worker_job_step", "Latest step of the current job", worker_id_);
  eval_accuracy_ = AddGauge(r, "ptune_worker_job_eval_accuracy",
                            "Accuracy of the current job's latest evaluation", worker_id_);
  h0_total_persistence_ = AddGauge(r, "ptune_worker_job_h0_total_persistence",
                                   "H0 total persistence of the current prompt", worker_id_);
  h1_total_persistence_ = AddGauge(r, "ptune_worker_job_h1_total_persistence",
                                   "H1 total persistence of the current prompt", worker_id_);
  h0_bars_ =
      AddGauge(r, "ptune_worker_job_h0_bars", "Finite H0 bars of the current prompt", worker_id_);
  h1_bars_ = AddGauge(r, "ptune_worker_job_h1_bars", "H1 bars of the current prompt", worker_id_);
  running_jobs_ = AddGauge(r, "ptune_worker_running_jobs", "Jobs running now", worker_id_);
  connected_ =
      AddGauge(r, "ptune_worker_connected", "1 while the scheduler stream is up", worker_id_);
  reconnects_ = &BuildCounter()
                     .Name("ptune_worker_reconnects_total")
                     .Help("Scheduler streams opened after the first")
                     .Register(r)
                     .Add(w);
  telemetry_buffered_ = AddGauge(r, "ptune_worker_telemetry_buffered_events",
                                 "Telemetry events not yet acknowledged", worker_id_);
  telemetry_thinned_ = &BuildCounter()
                            .Name("ptune_worker_telemetry_thinned_total")
                            .Help("Step records dropped from a full telemetry buffer")
                            .Register(r)
                            .Add(w);
  jobs_ = &BuildCounter().Name("ptune_worker_jobs_total").Help("Jobs run, by result").Register(r);
  device_memory_ = &BuildGauge()
                        .Name("ptune_worker_device_memory_bytes")
                        .Help("Device memory by device and kind (total, free)")
                        .Register(r);
}

absl::StatusOr<std::unique_ptr<WorkerMetrics>> WorkerMetrics::Create(const std::string& worker_id,
                                                                     const std::string& listen) {
  std::unique_ptr<WorkerMetrics> metrics(new WorkerMetrics(worker_id));
  if (listen.empty()) return metrics;
  // Not prometheus::Exposer: CivetWeb cannot start threads in a torch-linked process
  // (see metrics_http_server.h).
  WorkerMetrics* raw = metrics.get();
  auto server = MetricsHttpServer::Create(listen, [raw] { return raw->Scrape(); });
  if (!server.ok()) return server.status();
  metrics->server_ = *std::move(server);
  return metrics;
}

void WorkerMetrics::ObserveEvent(const v1::JobEvent& event) {
  if (event.has_step()) {
    const auto& s = event.step();
    step_seconds_->Observe(s.step_seconds());
    persistence_seconds_->Observe(s.persistence_seconds());
    tokens_per_second_->Set(s.tokens_per_second());
    loss_->Set(s.loss());
    tsloss_->Set(s.tsloss());
    step_->Set(static_cast<double>(s.step()));
  } else if (event.has_eval()) {
    const auto& metrics = event.eval().metrics();
    if (auto it = metrics.find("accuracy"); it != metrics.end()) eval_accuracy_->Set(it->second);
  } else if (event.has_topology()) {
    const auto& t = event.topology().summary();
    h0_total_persistence_->Set(t.h0_total_persistence());
    h1_total_persistence_->Set(t.h1_total_persistence());
    h0_bars_->Set(t.h0_bars());
    h1_bars_->Set(t.h1_bars());
  }
}

void WorkerMetrics::JobFinished(v1::JobFinished::Result result) {
  jobs_->Add({{"worker", worker_id_}, {"result", ResultName(result)}}).Increment();
}

void WorkerMetrics::SetRunningJobs(int jobs) { running_jobs_->Set(jobs); }
void WorkerMetrics::SetConnected(bool connected) { connected_->Set(connected ? 1 : 0); }
void WorkerMetrics::CountReconnect() { reconnects_->Increment(); }
void WorkerMetrics::SetTelemetryBuffered(size_t events) {
  telemetry_buffered_->Set(static_cast<double>(events));
}
void WorkerMetrics::CountTelemetryThinned(uint64_t events) {
  telemetry_thinned_->Increment(static_cast<double>(events));
}

void WorkerMetrics::SetDevices(const std::vector<v1::Device>& devices) {
  for (const auto& d : devices) {
    const std::string name =
        absl::StrCat(d.kind() == v1::DEVICE_KIND_CUDA ? "cuda:" : "cpu:", d.index());
    device_memory_->Add({{"worker", worker_id_}, {"device", name}, {"kind", "total"}})
        .Set(static_cast<double>(d.total_memory_bytes()));
    device_memory_->Add({{"worker", worker_id_}, {"device", name}, {"kind", "free"}})
        .Set(static_cast<double>(d.free_memory_bytes()));
  }
}

int WorkerMetrics::port() const { return server_ ? server_->port() : 0; }

std::string WorkerMetrics::Scrape() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace ptune::agent
