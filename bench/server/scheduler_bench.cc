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
// Each phase starts a fresh scheduler; its peak RSS (VmHWM) is read from /proc.
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/util/time_util.h"
#include "ptune/v1/job_service.grpc.pb.h"
#include "ptune/v1/worker_service.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;
using google::protobuf::util::TimeUtil;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t size = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

// A ptune-scheduler child process with its own store.
class Scheduler {
 public:
  explicit Scheduler(const std::string& dir) : port_(FreePort()) {
    const std::string store = dir + "/bench-" + std::to_string(port_) + ".db";
    pid_ = fork();
    if (pid_ == 0) {
      const std::string listen = "127.0.0.1:" + std::to_string(port_);
      std::freopen("/dev/null", "w", stderr);
      execl(PTUNE_SCHEDULER_PATH, "ptune-scheduler", "--listen", listen.c_str(), "--store",
            store.c_str(), "--max-queued", "0", "--max-queued-per-tenant", "0", "--shutdown-grace",
            "100ms", static_cast<char*>(nullptr));
      _exit(127);
    }
    channel_ = grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
    channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }
  ~Scheduler() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Peak resident set of the scheduler process in MiB.
  double PeakRssMiB() const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    }
    return 0;
  }
  std::shared_ptr<grpc::Channel> NewChannel(int id) const {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("ptune.bench.channel", id);  // a distinct connection per client
    return grpc::CreateCustomChannel(address(), grpc::InsecureChannelCredentials(), args);
  }

 private:
  const int port_;
  pid_t pid_ = -1;
  std::shared_ptr<grpc::Channel> channel_;
};

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

void BenchSubmit(const std::string& dir, int clients, int total) {
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
}

// The worker side of the protocol, just enough for the benchmark.
class Worker {
 public:
  Worker(std::shared_ptr<grpc::Channel> channel, const std::string& id)
      : stub_(ptune::v1::WorkerService::NewStub(channel)) {
    stream_ = stub_->Connect(&context_);
    ptune::v1::WorkerMessage hello;
    hello.mutable_register_()->set_worker_id(id);
    hello.mutable_register_()->add_devices()->set_kind(ptune::v1::DEVICE_KIND_CPU);
    stream_->Write(hello);
  }
  ~Worker() { Cancel(); }
  void Cancel() { context_.TryCancel(); }
  bool Read(ptune::v1::SchedulerMessage* message) { return stream_->Read(message); }
  void Write(const ptune::v1::WorkerMessage& message) {
    std::lock_guard<std::mutex> lock(mu_);
    stream_->Write(message);
  }

 private:
  std::unique_ptr<ptune::v1::WorkerService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<ptune::v1::WorkerMessage, ptune::v1::SchedulerMessage>>
      stream_;
  std::mutex mu_;
};

void BenchDispatch(const std::string& dir, int jobs) {
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

void BenchFanout(const std::string& dir, int watchers, int channels, int events, int batch,
                 double rate, bool batched) {
  Scheduler scheduler(dir);
  Worker worker(scheduler.NewChannel(0), "bench-worker");
  auto stub = ptune::v1::JobService::NewStub(scheduler.NewChannel(1));
  ptune::v1::SchedulerMessage message;
  worker.Read(&message);
  grpc::ClientContext submit_context;
  ptune::v1::SubmitJobResponse submitted;
  stub->SubmitJob(&submit_context, SubmitRequest("fanout"), &submitted);
  while (worker.Read(&message) && !message.has_assignment()) {
  }
  const std::string job_id = submitted.job().id();

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
      grpc::Status status = batched
                                ? ReadWatch(watch_stub->WatchJobBatched(&context, request).get(),
                                            &ready, &delivered, &local)
                                : ReadWatch(watch_stub->WatchJob(&context, request).get(), &ready,
                                            &delivered, &local);
      if (!status.ok()) std::fprintf(stderr, "watch %d: %s\n", w, status.error_message().c_str());
      std::lock_guard<std::mutex> lock(mu);
      latencies.insert(latencies.end(), local.begin(), local.end());
    });
  }
  while (ready < watchers) std::this_thread::sleep_for(std::chrono::milliseconds(10));

  // Acks come back on the worker stream; keep at most `window` batches in flight.
  std::atomic<uint64_t> acked{0};
  std::thread ack_reader([&] {
    ptune::v1::SchedulerMessage m;
    while (worker.Read(&m)) {
      if (m.has_telemetry_ack()) acked = m.telemetry_ack().acked_index();
    }
  });
  const Clock::time_point start = Clock::now();
  const uint64_t window = 8 * batch;
  for (int first = 1; first <= events; first += batch) {
    while (first - 1 > static_cast<int64_t>(acked.load() + window)) std::this_thread::yield();
    if (rate > 0)
      std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>((first - 1) / rate)));
    ptune::v1::WorkerMessage out;
    auto* telemetry = out.mutable_telemetry();
    telemetry->set_job_id(job_id);
    telemetry->set_attempt(1);
    telemetry->set_first_index(first);
    for (int step = first; step < first + batch && step <= events; ++step) {
      ptune::v1::JobEvent* event = telemetry->add_events();
      *event->mutable_time() = TimeUtil::GetCurrentTime();
      event->mutable_step()->set_step(step);
      event->mutable_step()->set_loss(1.0 / step);
      // The send time rides in step_seconds (same host clock) for the latency figure.
      event->mutable_step()->set_step_seconds(WallSeconds());
      event->mutable_step()->add_learning_rates(0.3);
    }
    worker.Write(out);
  }
  while (acked < static_cast<uint64_t>(events))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double ingest_seconds = Seconds(Clock::now() - start);
  ptune::v1::WorkerMessage done;
  done.mutable_finished()->set_job_id(job_id);
  done.mutable_finished()->set_attempt(1);
  done.mutable_finished()->set_result(ptune::v1::JobFinished::RESULT_SUCCEEDED);
  done.mutable_finished()->set_last_index(events);
  worker.Write(done);
  for (auto& t : threads) t.join();
  const double seconds = Seconds(Clock::now() - start);
  std::printf(
      "fanout:   %s, %d connections, offered %s, batch %d: %d events ingested in %.2f s (%.0f "
      "events/s); %llu "
      "deliveries to %d "
      "watchers in %.2f s = %.0f events/s delivered; latency p50 %.2f ms, p99 %.2f ms; "
      "scheduler peak RSS %.1f MiB\n",
      batched ? "WatchJobBatched" : "WatchJob", channels,
      rate > 0 ? (std::to_string(static_cast<int>(rate)) + " events/s").c_str() : "max", batch,
      events, ingest_seconds, events / ingest_seconds,
      static_cast<unsigned long long>(delivered.load()), watchers, seconds,
      delivered.load() / seconds, Percentile(latencies, 0.5), Percentile(latencies, 0.99),
      scheduler.PeakRssMiB());
  worker.Cancel();
  ack_reader.join();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ptune_scheduler_bench: scheduler throughput and latency figures."};
  std::string dir = "/tmp";
  int clients = 16, submits = 20000, dispatches = 500, watchers = 100, events = 20000, batch = 50;
  double rate = 0;
  int channels = 8;
  std::vector<std::string> phases{"submit", "dispatch", "fanout"};
  app.add_option("--dir", dir, "Where the stores go")->capture_default_str();
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
  app.add_option("--phases", phases)->capture_default_str();
  bool batched = false;
  app.add_flag("--batched", batched, "Fan-out: watchers use WatchJobBatched instead of WatchJob");
  CLI11_PARSE(app, argc, argv);
  // As in ptune-scheduler: Debian's abseil runs absl::Mutex's debug deadlock detector
  // (gRPC's locks) unless told not to; the load generator shares the 2 cores with the
  // scheduler and should not spend them on it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::printf("ptune_scheduler_bench: %u hardware threads\n", std::thread::hardware_concurrency());
  for (const std::string& phase : phases) {
    if (phase == "submit") BenchSubmit(dir, clients, submits);
    if (phase == "dispatch") BenchDispatch(dir, dispatches);
    if (phase == "fanout") BenchFanout(dir, watchers, channels, events, batch, rate, batched);
  }
  return 0;
}
