// The two processes the scheduler benchmark talks to: a ptune-scheduler child with its own
// durable store on a free loopback port, and the worker side of the protocol (just enough
// to register, take assignments and send telemetry). Benchmark-only, header-only; the
// including target defines PTUNE_SCHEDULER_PATH.
#ifndef PTUNE_BENCH_SERVER_SCHEDULER_HARNESS_H_
#define PTUNE_BENCH_SERVER_SCHEDULER_HARNESS_H_

#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>

#include "ptune/v1/job_service.grpc.pb.h"
#include "ptune/v1/worker_service.grpc.pb.h"

namespace ptune::bench {

inline int FreePort() {
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
  double PeakRssMiB() const { return StatusMiB("VmHWM:"); }
  // Current resident set in MiB.
  double RssMiB() const { return StatusMiB("VmRSS:"); }
  std::shared_ptr<grpc::Channel> NewChannel(int id) const {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("ptune.bench.channel", id);  // a distinct connection per client
    return grpc::CreateCustomChannel(address(), grpc::InsecureChannelCredentials(), args);
  }

 private:
  double StatusMiB(const std::string& key) const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind(key, 0) == 0) return std::stod(line.substr(key.size())) / 1024.0;
    }
    return 0;
  }

  const int port_;
  pid_t pid_ = -1;
  std::shared_ptr<grpc::Channel> channel_;
};

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

}  // namespace ptune::bench

#endif  // PTUNE_BENCH_SERVER_SCHEDULER_HARNESS_H_
