// ptune_scheduler_bench: figures for the scheduler against a real ptune-scheduler
// process on loopback with a durable SQLite store.
//
//   submit:   durable SubmitJob acks/s from 16 concurrent clients
//   dispatch: submit → Assignment latency with an idle worker (p50/p99)
//   fanout:   events/s ingested from one worker and delivered to 100 watchers, with
//             p50/p99 delivery latency (event time set by the worker → watcher read).
//             --rate 0: the worker sends as fast as acks allow (saturation: the
//             throughput ceiling; latency there is only how deep the buffers got);
//             --rate N: the worker sends N events/s (latency at that offered load).
//             --batched: the watchers use WatchJobBatched (several events per message).
//   poll:     the same worker load, but each watcher polls GetJob in a loop instead of
//             watching: the cost of one unary call per watcher per event, as a client of
//             a REST events endpoint would pay (polls/s, poll latency p50/p99).
//   queue:    scheduler RSS (VmRSS) after each of --queue-sizes jobs are queued (no worker).
//   history:  scheduler RSS after one running job stored each of --history-sizes events.
// Each phase starts a fresh scheduler; its peak RSS (VmHWM) is read from /proc. --json FILE
// also writes each phase's figures (scripts/bench.sh reads it).
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/synchronization/mutex.h"
#include "bench/server/scheduler_harness.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"
#include "ptune/v1/job_service.grpc.pb.h"
#include "ptune/v1/worker_service.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;
using google::protobuf::util::TimeUtil;
using ptune::bench::Scheduler;
using ptune::bench::Worker;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

ptune::v1::SubmitJobRequest SubmitRequest(const std::string& id) {
  ptune::v1::SubmitJobRequest request;
  request.set_request_id(id);
  request.mutable_spec()->set_name("bench");
  request.mutable_spec()->mutable_data()->set_dataset("uci-sentiment");
  return request;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

nlohmann::json BenchSubmit(const std::string& dir, int clients, int total) {
  Scheduler scheduler(dir);
  std::atomic<int> next{0}, failed{0};
  std::vector<std::thread> threads;
  const Clock::time_point start = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = ptune::v1::JobService::NewStub(scheduler.NewChannel(c));
      for (int i; (i = next++) < total;) {
        grpc::ClientContext context;
        ptune::v1::SubmitJobResponse response;
        if (!stub->SubmitJob(&context, SubmitRequest("s-" + std::to_string(i)), &response).ok()) {
          ++failed;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = Seconds(Clock::now() - start);
  std::printf(
      "submit:   %d durable acks from %d clients in %.2f s = %.0f acks/s (%d failed), "
      "scheduler peak RSS %.1f MiB\n",
      total, clients, seconds, total / seconds, failed.load(), scheduler.PeakRssMiB());
  return {{"phase", "submit"},
          {"clients", clients},
          {"submits", total},
          {"failed", failed.load()},
          {"acks_per_s", total / seconds},
          {"peak_rss_mib", scheduler.PeakRssMiB()}};
}

nlohmann::json BenchDispatch(const std::string& dir, int jobs) {
  Scheduler scheduler(dir);
  Worker worker(scheduler.NewChannel(0), "bench-worker");
  auto stub = ptune::v1::JobService::NewStub(scheduler.NewChannel(1));
  ptune::v1::SchedulerMessage message;
  worker.Read(&message);  // Registered
  std::vector<double> latencies;
  for (int i = 0; i < jobs; ++i) {
    const Clock::time_point start = Clock::now();
    grpc::ClientContext context;
    ptune::v1::SubmitJobResponse response;
    stub->SubmitJob(&context, SubmitRequest("d-" + std::to_string(i)), &response);
    while (worker.Read(&message) && !message.has_assignment()) {
    }
    latencies.push_back(Seconds(Clock::now() - start) * 1000);
    ptune::v1::WorkerMessage done;
    done.mutable_finished()->set_job_id(message.assignment().job_id());
    done.mutable_finished()->set_attempt(message.assignment().attempt());
    done.mutable_finished()->set_result(ptune::v1::JobFinished::RESULT_SUCCEEDED);
    worker.Write(done);
  }
  std::printf(
      "dispatch: %d jobs, submit→assignment p50 %.2f ms, p99 %.2f ms, max %.2f ms, "
      "scheduler peak RSS %.1f MiB\n",
      jobs, Percentile(latencies, 0.5), Percentile(latencies, 0.99), Percentile(latencies, 1.0),
      scheduler.PeakRssMiB());
  return {{"phase", "dispatch"},
          {"jobs", jobs},
          {"p50_ms", Percentile(latencies, 0.5)},
          {"p99_ms", Percentile(latencies, 0.99)},
          {"max_ms", Percentile(latencies, 1.0)},
          {"peak_rss_mib", scheduler.PeakRssMiB()}};
}

void CountEvent(const ptune::v1::JobEvent& event, std::atomic<uint64_t>* delivered,
                std::vector<double>* latencies) {
  if (!event.has_step()) return;
  ++*delivered;
  // Sample every 16th event to keep the watcher cheap.
  if (event.step().step() % 16 == 0) {
    latencies->push_back((WallSeconds() - event.step().step_seconds()) * 1000.0);
  }
}

void CountMessage(const ptune::v1::JobEvent& event, std::atomic<uint64_t>* delivered,
                  std::vector<double>* latencies) {
  CountEvent(event, delivered, latencies);
}

void CountMessage(const ptune::v1::JobEventBatch& batch, std::atomic<uint64_t>* delivered,
                  std::vector<double>* latencies) {
  for (const ptune::v1::JobEvent& event : batch.events()) CountEvent(event, delivered, latencies);
}

// Reads one watch stream (WatchJob or WatchJobBatched) to its end; counts `ready` once
// the first message arrived.
template <typename Message>
grpc::Status ReadWatch(grpc::ClientReader<Message>* reader, std::atomic<int>* ready,
                       std::atomic<uint64_t>* delivered, std::vector<double>* latencies) {
  Message message;
  bool counted = false;
  while (reader->Read(&message)) {
    if (!counted) ++*ready;
    counted = true;
    CountMessage(message, delivered, latencies);
  }
  if (!counted) ++*ready;
  return reader->Finish();
}

enum class WatchMode { kWatchJob, kWatchJobBatched, kPollGetJob };

const char* WatchModeName(WatchMode mode) {
  switch (mode) {
    case WatchMode::kWatchJob:
      return "WatchJob";
    case WatchMode::kWatchJobBatched:
      return "WatchJobBatched";
    case WatchMode::kPollGetJob:
      return "GetJob poll";
  }
  return "?";
}

// Polls GetJob until the job is final: one unary call per poll, each latency in ms.
void PollJob(ptune::v1::JobService::Stub* stub, const std::string& job_id, std::atomic<int>* ready,
             std::atomic<uint64_t>* polls, std::vector<double>* latencies) {
  ptune::v1::GetJobRequest request;
  request.set_job_id(job_id);
  for (bool first = true;; first = false) {
    grpc::ClientContext context;
    ptune::v1::Job job;
    const Clock::time_point start = Clock::now();
    const grpc::Status status = stub->GetJob(&context, request, &job);
    if (first) ++*ready;
    if (!status.ok()) {
      std::fprintf(stderr, "GetJob: %s\n", status.error_message().c_str());
      return;
    }
    if (++*polls % 16 == 0) latencies->push_back(Seconds(Clock::now() - start) * 1000);
    if (job.state() == ptune::v1::JOB_STATE_SUCCEEDED) return;
  }
}

// Starts the fan-out job on `worker` and returns its id.
std::string StartJob(Worker* worker, ptune::v1::JobService::Stub* stub, const std::string& name) {
  ptune::v1::SchedulerMessage message;
  worker->Read(&message);  // Registered
  grpc::ClientContext submit_context;
  ptune::v1::SubmitJobResponse submitted;
  stub->SubmitJob(&submit_context, SubmitRequest(name), &submitted);
  while (worker->Read(&message) && !message.has_assignment()) {
  }
  return submitted.job().id();
}

// Sends step events first..last for `job_id` in batches of `batch`, at most 8 batches ahead
// of the acks (`rate` > 0: paced at that many events/s); returns once all are acked.
void SendEvents(Worker* worker, const std::string& job_id, int first_index, int last_index,
                int batch, double rate, const std::atomic<uint64_t>& acked) {
  const Clock::time_point start = Clock::now();
  const uint64_t window = 8 * batch;
  for (int first = first_index; first <= last_index; first += batch) {
    while (first - 1 > static_cast<int64_t>(acked.load() + window)) std::this_thread::yield();
    if (rate > 0)
      std::this_thread::sleep_until(
          start + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>((first - first_index) / rate)));
    ptune::v1::WorkerMessage out;
    auto* telemetry = out.mutable_telemetry();
    telemetry->set_job_id(job_id);
    telemetry->set_attempt(1);
    telemetry->set_first_index(first);
    for (int step = first; step < first + batch && step <= last_index; ++step) {
      ptune::v1::JobEvent* event = telemetry->add_events();
      *event->mutable_time() = TimeUtil::GetCurrentTime();
      event->mutable_step()->set_step(step);
      event->mutable_step()->set_loss(1.0 / step);
      // The send time rides in step_seconds (same host clock) for the latency figure.
      event->mutable_step()->set_step_seconds(WallSeconds());
      event->mutable_step()->add_learning_rates(0.3);
    }
    worker->Write(out);
  }
  while (acked < static_cast<uint64_t>(last_index))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void FinishJob(Worker* worker, const std::string& job_id, int events) {
  ptune::v1::WorkerMessage done;
  done.mutable_finished()->set_job_id(job_id);
  done.mutable_finished()->set_attempt(1);
  done.mutable_finished()->set_result(ptune::v1::JobFinished::RESULT_SUCCEEDED);
  done.mutable_finished()->set_last_index(events);
  worker->Write(done);
}

// Reads the worker stream's telemetry acks into `acked` until the stream ends.
std::thread AckReader(Worker* worker, std::atomic<uint64_t>* acked) {
  return std::thread([worker, acked] {
    ptune::v1::SchedulerMessage m;
    while (worker->Read(&m)) {
      if (m.has_telemetry_ack()) *acked = m.telemetry_ack().acked_index();
    }
  });
}

nlohmann::json BenchFanout(const std::string& dir, int watchers, int channels, int events,
                           int batch, double rate, WatchMode mode) {
  Scheduler scheduler(dir);
  Worker worker(scheduler.NewChannel(0), "bench-worker");
  auto stub = ptune::v1::JobService::NewStub(scheduler.NewChannel(1));
  const std::string job_id = StartJob(&worker, stub.get(), "fanout");

  std::atomic<uint64_t> delivered{0};
  std::atomic<int> ready{0};
  std::mutex mu;
  std::vector<double> latencies;
  std::vector<std::thread> threads;
  for (int w = 0; w < watchers; ++w) {
    threads.emplace_back([&, w] {
      auto watch_stub = ptune::v1::JobService::NewStub(scheduler.NewChannel(2 + w % channels));
      grpc::ClientContext context;
      ptune::v1::WatchJobRequest request;
      request.set_job_id(job_id);
      std::vector<double> local;
      grpc::Status status;
      if (mode == WatchMode::kPollGetJob) {
        PollJob(watch_stub.get(), job_id, &ready, &delivered, &local);
      } else if (mode == WatchMode::kWatchJobBatched) {
        status = ReadWatch(watch_stub->WatchJobBatched(&context, request).get(), &ready, &delivered,
                           &local);
      } else {
        status =
            ReadWatch(watch_stub->WatchJob(&context, request).get(), &ready, &delivered, &local);
      }
      if (!status.ok()) std::fprintf(stderr, "watch %d: %s\n", w, status.error_message().c_str());
      std::lock_guard<std::mutex> lock(mu);
      latencies.insert(latencies.end(), local.begin(), local.end());
    });
  }
  while (ready < watchers) std::this_thread::sleep_for(std::chrono::milliseconds(10));

  std::atomic<uint64_t> acked{0};
  std::thread ack_reader = AckReader(&worker, &acked);
  const Clock::time_point start = Clock::now();
  SendEvents(&worker, job_id, 1, events, batch, rate, acked);
  const double ingest_seconds = Seconds(Clock::now() - start);
  FinishJob(&worker, job_id, events);
  for (auto& t : threads) t.join();
  const double seconds = Seconds(Clock::now() - start);
  const std::string offered =
      rate > 0 ? std::to_string(static_cast<int>(rate)) + " events/s" : "max";
  // For the poll mode a "delivery" is one GetJob answer and the latency is the call's.
  std::printf(
      "fanout:   %s, %d connections, offered %s, batch %d: %d events ingested in %.2f s (%.0f "
      "events/s); %llu %s to %d watchers in %.2f s = %.0f/s; latency p50 %.2f ms, p99 %.2f ms; "
      "scheduler peak RSS %.1f MiB\n",
      WatchModeName(mode), channels, offered.c_str(), batch, events, ingest_seconds,
      events / ingest_seconds, static_cast<unsigned long long>(delivered.load()),
      mode == WatchMode::kPollGetJob ? "polls" : "deliveries", watchers, seconds,
      delivered.load() / seconds, Percentile(latencies, 0.5), Percentile(latencies, 0.99),
      scheduler.PeakRssMiB());
  worker.Cancel();
  ack_reader.join();
  return {{"phase", mode == WatchMode::kPollGetJob ? "poll" : "fanout"},
          {"mode", WatchModeName(mode)},
          {"watchers", watchers},
          {"channels", channels},
          {"events", events},
          {"batch", batch},
          {"offered_events_per_s", rate},
          {"ingested_events_per_s", events / ingest_seconds},
          {"deliveries", delivered.load()},
          {"deliveries_per_s", delivered.load() / seconds},
          {"p50_ms", Percentile(latencies, 0.5)},
          {"p99_ms", Percentile(latencies, 0.99)},
          {"peak_rss_mib", scheduler.PeakRssMiB()}};
}

// RSS after each cumulative queue size (16 submit threads, no worker).
nlohmann::json BenchQueue(const std::string& dir, const std::vector<int>& sizes) {
  Scheduler scheduler(dir);
  nlohmann::json points = nlohmann::json::array();
  points.push_back({{"jobs", 0}, {"rss_mib", scheduler.RssMiB()}});
  std::atomic<int> next{0};
  for (int size : sizes) {
    std::vector<std::thread> threads;
    for (int c = 0; c < 16; ++c) {
      threads.emplace_back([&, c] {
        auto stub = ptune::v1::JobService::NewStub(scheduler.NewChannel(c));
        for (int i; (i = next++) < size;) {
          grpc::ClientContext context;
          ptune::v1::SubmitJobResponse response;
          (void)stub->SubmitJob(&context, SubmitRequest("q-" + std::to_string(i)), &response);
        }
      });
    }
    for (auto& t : threads) t.join();
    next = size;
    std::printf("queue:    %d jobs queued, scheduler RSS %.1f MiB (peak %.1f MiB)\n", size,
                scheduler.RssMiB(), scheduler.PeakRssMiB());
    points.push_back({{"jobs", size}, {"rss_mib", scheduler.RssMiB()}});
  }
  return {{"phase", "queue"}, {"points", points}, {"peak_rss_mib", scheduler.PeakRssMiB()}};
}

// RSS after one running job stored each cumulative number of events (no watchers).
nlohmann::json BenchHistory(const std::string& dir, const std::vector<int>& sizes, int batch) {
  Scheduler scheduler(dir);
  Worker worker(scheduler.NewChannel(0), "bench-worker");
  auto stub = ptune::v1::JobService::NewStub(scheduler.NewChannel(1));
  const std::string job_id = StartJob(&worker, stub.get(), "history");
  std::atomic<uint64_t> acked{0};
  std::thread ack_reader = AckReader(&worker, &acked);
  nlohmann::json points = nlohmann::json::array();
  points.push_back({{"events", 0}, {"rss_mib", scheduler.RssMiB()}});
  // One growing stream: each size adds events to the same job's history.
  int sent = 0;
  for (int size : sizes) {
    SendEvents(&worker, job_id, sent + 1, size, batch, /*rate=*/0, acked);
    sent = size;
    std::printf("history:  %d events stored, scheduler RSS %.1f MiB (peak %.1f MiB)\n", size,
                scheduler.RssMiB(), scheduler.PeakRssMiB());
    points.push_back({{"events", size}, {"rss_mib", scheduler.RssMiB()}});
  }
  worker.Cancel();
  ack_reader.join();
  return {{"phase", "history"}, {"points", points}, {"peak_rss_mib", scheduler.PeakRssMiB()}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ptune_scheduler_bench: scheduler throughput and latency figures."};
  std::string dir = "/tmp", json;
  int clients = 16, submits = 20000, dispatches = 500, watchers = 100, events = 20000, batch = 50;
  double rate = 0;
  int channels = 8;
  std::vector<std::string> phases{"submit", "dispatch", "fanout"};
  std::vector<int> queue_sizes{1000, 5000, 20000}, history_sizes{5000, 20000, 50000};
  app.add_option("--dir", dir, "Where the stores go")->capture_default_str();
  app.add_option("--json", json, "Also write each phase's figures to this JSON file");
  app.add_option("--clients", clients)->capture_default_str();
  app.add_option("--submits", submits)->capture_default_str();
  app.add_option("--dispatches", dispatches)->capture_default_str();
  app.add_option("--watchers", watchers)->capture_default_str();
  app.add_option("--events", events)->capture_default_str();
  app.add_option("--batch", batch, "Telemetry events per worker batch")->capture_default_str();
  app.add_option("--channels", channels, "Fan-out: connections the watchers share")
      ->capture_default_str();
  app.add_option("--rate", rate, "Fan-out: events/s the worker offers; 0 = as fast as acked")
      ->capture_default_str();
  app.add_option("--phases", phases, "submit, dispatch, fanout, poll, queue, history")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--queue-sizes", queue_sizes, "queue: cumulative queued jobs")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--history-sizes", history_sizes, "history: cumulative stored events")
      ->delimiter(',')
      ->capture_default_str();
  bool batched = false;
  app.add_flag("--batched", batched, "Fan-out: watchers use WatchJobBatched instead of WatchJob");
  CLI11_PARSE(app, argc, argv);
  // As in ptune-scheduler: Debian's abseil runs absl::Mutex's debug deadlock detector
  // (gRPC's locks) unless told not to; the load generator shares the 2 cores with the
  // scheduler and should not spend them on it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::printf("ptune_scheduler_bench: %u hardware threads\n", std::thread::hardware_concurrency());
  nlohmann::json results = nlohmann::json::array();
  for (const std::string& phase : phases) {
    if (phase == "submit") results.push_back(BenchSubmit(dir, clients, submits));
    if (phase == "dispatch") results.push_back(BenchDispatch(dir, dispatches));
    if (phase == "fanout") {
      results.push_back(BenchFanout(dir, watchers, channels, events, batch, rate,
                                    batched ? WatchMode::kWatchJobBatched : WatchMode::kWatchJob));
    }
    if (phase == "poll") {
      results.push_back(
          BenchFanout(dir, watchers, channels, events, batch, rate, WatchMode::kPollGetJob));
    }
    if (phase == "queue") results.push_back(BenchQueue(dir, queue_sizes));
    if (phase == "history") results.push_back(BenchHistory(dir, history_sizes, batch));
  }
  if (!json.empty()) {
    std::ofstream file(json);
    file << results.dump(1) << "\n";
    if (!file) {
      std::fprintf(stderr, "cannot write %s\n", json.c_str());
      return 1;
    }
  }
  return 0;
}
