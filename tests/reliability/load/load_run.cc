#include "tests/reliability/load/load_run.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/job_state.h"
#include "ptune/v1/job_service.grpc.pb.h"
#include "tests/reliability/load/watcher.h"

namespace ptune::load {
namespace {

double MsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

std::shared_ptr<grpc::Channel> NewConnection(const std::string& address, int id) {
  grpc::ChannelArguments args;
  // A channel argument that differs per id, with a local subchannel pool, makes each
  // channel its own TCP connection instead of one shared by all.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("ptune.loadgen.connection", id);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

v1::SubmitJobRequest SubmitRequest(const std::string& request_id, int steps) {
  v1::SubmitJobRequest request;
  request.set_request_id(request_id);
  request.mutable_spec()->set_name("load");
  request.mutable_spec()->mutable_data()->set_dataset("uci-sentiment");
  request.mutable_spec()->mutable_train()->set_steps(steps);
  return request;
}

// Submits one job; on OK records the ack in the ledger and returns its id, else "".
std::string Submit(v1::JobService::Stub* stub, JobLedger* ledger, const std::string& request_id,
                   int steps, double* latency_ms) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::SubmitJobResponse response;
  const SteadyClock::time_point start = SteadyClock::now();
  const grpc::Status status =
      stub->SubmitJob(&context, SubmitRequest(request_id, steps), &response);
  *latency_ms = MsSince(start);
  if (!status.ok()) {
    ledger->Error("submit", status);
    return "";
  }
  ledger->Acked(response.job().id(), SteadyClock::now());
  return response.job().id();
}

// Looks every acknowledged job up through ListJobs (all pages) and counts the final ones.
void CheckFinal(v1::JobService::Stub* stub, JobLedger* ledger, LoadReport* report) {
  std::vector<std::string> ids = ledger->acked_ids();
  std::set<std::string> pending(ids.begin(), ids.end());
  report->final_jobs = report->succeeded = 0;
  v1::ListJobsRequest request;
  request.set_page_size(1000);
  for (;;) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::ListJobsResponse response;
    const grpc::Status status = stub->ListJobs(&context, request, &response);
    if (!status.ok()) {
      ledger->Error("list", status);
      break;
    }
    for (const v1::Job& job : response.jobs()) {
      if (!IsFinal(job.state()) || pending.erase(job.id()) == 0) continue;
      ++report->final_jobs;
      if (job.state() == v1::JOB_STATE_SUCCEEDED) ++report->succeeded;
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  report->not_final.clear();
  for (const std::string& id : pending) {
    if (report->not_final.size() >= 10) break;
    report->not_final.push_back(id);
  }
}

}  // namespace

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t rank = static_cast<size_t>(p * static_cast<double>(values.size()));
  return values[std::min(values.size() - 1, rank)];
}

double ProcStatusMiB(pid_t pid, const std::string& key) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1)) / 1024.0;
  }
  return 0;
}

int64_t LoadReport::error_count() const {
  int64_t count = 0;
  for (const auto& [code, n] : errors) count += n;
  return count;
}

LoadReport RunLoad(const LoadOptions& options) {
  LoadReport report;
  JobLedger ledger;
  const SteadyClock::time_point start = SteadyClock::now();
  const SteadyClock::time_point deadline = start + options.timeout;
  auto left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  };
  std::vector<std::shared_ptr<grpc::Channel>> connections;
  for (int i = 0; i < std::max(1, options.connections); ++i)
    connections.push_back(NewConnection(options.address, i));
  auto connection = [&](int i) { return connections[i % connections.size()]; };

  std::mutex rss_mu;
  std::atomic<bool> stop_rss{false};
  auto sample = [&] {
    if (options.scheduler_pid <= 0) return;
    RssSample s{MsSince(start) / 1000, ProcStatusMiB(options.scheduler_pid, "VmRSS"),
                ledger.finished(), ledger.events_sent()};
    std::lock_guard<std::mutex> lock(rss_mu);
    report.rss.push_back(s);
  };
  sample();
  std::thread rss_thread([&] {
    while (!stop_rss) {
      std::this_thread::sleep_for(options.rss_every);
      sample();
    }
  });

  std::vector<std::unique_ptr<SimWorker>> fleet;
  for (int i = 0; i < options.workers; ++i) {
    fleet.push_back(std::make_unique<SimWorker>(connection(i), absl::StrCat("sim-", i),
                                                options.shape, &ledger));
    fleet.back()->Start();
  }

  std::atomic<bool> stop_watchers{false};
  std::mutex stats_mu;
  std::vector<WatcherStats> watcher_stats;
  std::vector<std::thread> watchers;
  for (int w = 0; w < options.watchers; ++w) {
    watchers.emplace_back([&, w] {
      auto stub = v1::JobService::NewStub(connection(w));
      WatcherStats stats = RunWatcher(stub.get(), &ledger, &stop_watchers, 1000 + w);
      std::lock_guard<std::mutex> lock(stats_mu);
      watcher_stats.push_back(std::move(stats));
    });
  }

  // Unique per run, so a second run against the same store submits new jobs.
  const std::string run_id =
      absl::StrCat(std::chrono::system_clock::now().time_since_epoch().count());
  std::atomic<int> next{0};
  std::vector<std::thread> submitters;
  std::vector<std::vector<double>> submit_ms(options.submitters);
  for (int s = 0; s < options.submitters; ++s) {
    submitters.emplace_back([&, s] {
      auto stub = v1::JobService::NewStub(connection(s));
      for (int i; (i = next++) < options.jobs;) {
        double ms = 0;
        Submit(stub.get(), &ledger, absl::StrCat("load-", run_id, "-", i), options.shape.steps,
               &ms);
        submit_ms[s].push_back(ms);
      }
    });
  }
  for (std::thread& t : submitters) t.join();
  report.submit_seconds = MsSince(start) / 1000;
  for (const auto& ms : submit_ms)
    report.submit_ms.insert(report.submit_ms.end(), ms.begin(), ms.end());

  ledger.WaitFinished(ledger.acked(), left());
  report.queue_wait_ms = ledger.queue_waits_ms();

  auto probe_stub = v1::JobService::NewStub(connection(0));
  for (int i = 0; i < options.probe_jobs && left().count() > 0; ++i) {
    double submit = 0, dispatch = 0;
    const std::string id = Submit(probe_stub.get(), &ledger, absl::StrCat("probe-", run_id, "-", i),
                                  options.shape.steps, &submit);
    if (id.empty()) continue;
    if (ledger.WaitAssigned(id, std::min(left(), std::chrono::milliseconds(30000)), &dispatch)) {
      report.dispatch_ms.push_back(dispatch);
    }
  }
  ledger.WaitFinished(ledger.acked(), left());

  // The last JobFinished is durable a commit later: poll ListJobs briefly until all are final.
  auto list_stub = v1::JobService::NewStub(connection(0));
  for (int i = 0; i < 100; ++i) {
    CheckFinal(list_stub.get(), &ledger, &report);
    if (report.final_jobs == ledger.acked() || left().count() <= 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop_watchers = true;
  for (std::thread& t : watchers) t.join();
  for (auto& worker : fleet) worker->Stop();
  stop_rss = true;
  rss_thread.join();
  sample();
  if (options.scheduler_pid > 0)
    report.peak_rss_mib = ProcStatusMiB(options.scheduler_pid, "VmHWM");

  report.seconds = MsSince(start) / 1000;
  report.submitted = ledger.acked();
  report.peak_queued = ledger.peak_queued();
  for (WatcherStats& stats : watcher_stats) {
    report.watch_streams += stats.streams;
    report.resumes += stats.resumes;
    report.jobs_watched += stats.jobs_checked;
    report.deliveries += stats.deliveries;
    report.delivery_ms.insert(report.delivery_ms.end(), stats.delivery_ms.begin(),
                              stats.delivery_ms.end());
  }
  report.events_sent = ledger.events_sent();
  report.event_bytes_sent = ledger.event_bytes_sent();
  report.errors = ledger.errors();
  report.error_samples = ledger.error_samples();
  report.violations = ledger.violations();
  return report;
}

}  // namespace ptune::load
