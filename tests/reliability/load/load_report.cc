// LoadReport's two outputs: JSON (for benchmarks and scripts) and the printed table.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/reliability/load/load_run.h"

namespace ptune::load {
namespace {

nlohmann::json Latency(const std::vector<double>& ms) {
  return {{"count", ms.size()},
          {"p50_ms", Percentile(ms, 0.50)},
          {"p90_ms", Percentile(ms, 0.90)},
          {"p99_ms", Percentile(ms, 0.99)},
          {"max_ms", Percentile(ms, 1.0)}};
}

std::string LatencyRow(const std::string& name, const std::vector<double>& ms) {
  return absl::StrFormat("| %-36s | %8d | %9.2f | %9.2f | %9.2f | %9.2f |\n", name, ms.size(),
                         Percentile(ms, 0.50), Percentile(ms, 0.90), Percentile(ms, 0.99),
                         Percentile(ms, 1.0));
}

}  // namespace

nlohmann::json LoadReport::ToJson() const {
  nlohmann::json rss_points = nlohmann::json::array();
  for (const RssSample& s : rss) {
    rss_points.push_back({{"seconds", s.seconds},
                          {"rss_mib", s.rss_mib},
                          {"jobs_finished", s.jobs_finished},
                          {"events_sent", s.events_sent}});
  }
  return {{"seconds", seconds},
          {"submitted", submitted},
          {"final_jobs", final_jobs},
          {"succeeded", succeeded},
          {"not_final", not_final},
          {"peak_queued", peak_queued},
          {"submit_seconds", submit_seconds},
          {"submits_per_s", submit_seconds > 0 ? submit_ms.size() / submit_seconds : 0},
          {"submit", Latency(submit_ms)},
          {"queue_wait", Latency(queue_wait_ms)},
          {"dispatch_idle", Latency(dispatch_ms)},
          {"watch",
           {{"streams", watch_streams},
            {"resumes", resumes},
            {"jobs_checked", jobs_watched},
            {"deliveries", deliveries},
            {"deliveries_per_s", seconds > 0 ? deliveries / seconds : 0},
            {"delivery", Latency(delivery_ms)}}},
          {"events_sent", events_sent},
          {"event_bytes_sent", event_bytes_sent},
          {"errors", errors},
          {"error_count", error_count()},
          {"error_samples", error_samples},
          {"violations", violations},
          {"rss", rss_points},
          {"rss_first_mib", rss_first_mib()},
          {"rss_last_mib", rss_last_mib()},
          {"peak_rss_mib", peak_rss_mib}};
}

std::string LoadReport::Table() const {
  std::string out = absl::StrFormat(
      "jobs: %d acknowledged, %d final (%d SUCCEEDED) in %.1f s; peak queue %d; "
      "submits %.0f/s\n",
      submitted, final_jobs, succeeded, seconds, peak_queued,
      submit_seconds > 0 ? submit_ms.size() / submit_seconds : 0.0);
  out += absl::StrFormat("| %-36s | %8s | %9s | %9s | %9s | %9s |\n", "latency (ms)", "count",
                         "p50", "p90", "p99", "max");
  out +=
      "|--------------------------------------|----------|-----------|-----------|-----------|"
      "-----------|\n";
  out += LatencyRow("submit (call → durable ack)", submit_ms);
  out += LatencyRow("queue wait, backlog (ack → leased)", queue_wait_ms);
  out += LatencyRow("dispatch, idle fleet (ack → leased)", dispatch_ms);
  out += LatencyRow("watch delivery (event time → read)", delivery_ms);
  out += absl::StrFormat("watch: %d streams (%d resumed) over %d jobs, %d deliveries = %.0f/s\n",
                         watch_streams, resumes, jobs_watched, deliveries,
                         seconds > 0 ? deliveries / seconds : 0.0);
  out += absl::StrFormat("telemetry: %d events sent by the fleet, %.1f MiB on the wire\n",
                         events_sent, event_bytes_sent / 1048576.0);
  out += absl::StrFormat("errors: %d", error_count());
  for (const auto& [code, n] : errors) out += absl::StrCat(" ", code, "=", n);
  out += absl::StrFormat("; stream violations: %d\n", violations.size());
  for (const std::string& line : error_samples) out += "  error: " + line + "\n";
  for (size_t i = 0; i < violations.size() && i < 10; ++i)
    out += "  violation: " + violations[i] + "\n";
  if (!rss.empty()) {
    out += "| t (s) | jobs finished | events sent | scheduler RSS (MiB) |\n|---|---|---|---|\n";
    // About ten rows, always the first and the last sample.
    const size_t step = std::max<size_t>(1, rss.size() / 10);
    for (size_t i = 0; i < rss.size(); i += step) {
      if (i + step >= rss.size()) i = rss.size() - 1;
      out += absl::StrFormat("| %.1f | %d | %d | %.1f |\n", rss[i].seconds, rss[i].jobs_finished,
                             rss[i].events_sent, rss[i].rss_mib);
    }
    out += absl::StrFormat("scheduler peak RSS (VmHWM): %.1f MiB\n", peak_rss_mib);
  }
  return out;
}

}  // namespace ptune::load
