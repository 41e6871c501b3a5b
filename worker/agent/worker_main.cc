// ptune-worker: connects to a scheduler and runs the jobs it assigns.
//
// SIGTERM / SIGINT: stop taking work, stop running jobs at the next step boundary (they
// checkpoint and are reported PREEMPTED so the scheduler requeues them at once), wait
// for the scheduler to confirm, exit (within --shutdown-timeout). A second signal exits
// at once.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/capacity.h"
#include "common/file_io.h"
#include "common/version.h"
#include "worker/agent/devices.h"
#include "worker/agent/engine_runner.h"
#include "worker/agent/worker_agent.h"
#include "worker/agent/worker_metrics.h"
#include "worker/engine/backbones/backbone_cache.h"
#include "worker/engine/runtime.h"

namespace {

struct Flags {
  std::string scheduler = "localhost:50051";
  std::string worker_id;
  std::string token_file;
  std::string tls_ca, tls_cert, tls_key;
  uint32_t max_cpu_jobs = 1;
  std::string work_dir = "ptune-worker-data";
  std::string models_dir;
  std::string metrics_listen;
  int threads = 0;
  std::vector<std::string> labels;
  double shutdown_timeout_s = 30;
  uint64_t job_memory_limit_mb = 0;
  bool keep_job_dirs = false;
};

void AddFlags(CLI::App& app, Flags& f) {
  app.add_option("--scheduler", f.scheduler, "Scheduler address host:port")->capture_default_str();
  app.add_option("--id", f.worker_id, "Stable worker id (default: hostname-pid)");
  app.add_option("--token-file", f.token_file,
                 "File holding the worker bearer token (default: $PTUNE_TOKEN)");
  app.add_option("--tls-ca", f.tls_ca, "PEM CA bundle: connect with TLS and verify the scheduler");
  app.add_option("--tls-cert", f.tls_cert, "PEM client certificate (mTLS; with --tls-key)");
  app.add_option("--tls-key", f.tls_key, "PEM client private key (mTLS; with --tls-cert)");
  app.add_option("--max-cpu-jobs", f.max_cpu_jobs, "Concurrent jobs when there is no GPU")
      ->capture_default_str();
  app.add_option("--work-dir", f.work_dir, "Directory for job checkpoints and artifacts")
      ->capture_default_str();
  app.add_option("--metrics-listen", f.metrics_listen,
                 "Serve Prometheus /metrics on host:port (port 0 picks one; empty: off)");
  app.add_option("--threads", f.threads, "Intra-op threads (0: every core)")->capture_default_str();
  app.add_option("--labels", f.labels, "Worker labels k=v (repeatable)");
  app.add_option("--shutdown-timeout", f.shutdown_timeout_s,
                 "Seconds to wait for jobs to checkpoint and be confirmed on SIGTERM")
      ->capture_default_str();
  app.add_option("--models-dir", f.models_dir,
                 "Directory of HF-format model folders: a spec's model.source NAME loads "
                 "<models-dir>/NAME (config.json + *.safetensors + tokenizer.json)")
      ->check(CLI::ExistingDirectory);
  app.add_flag("--keep-job-dirs", f.keep_job_dirs, "Keep job directories after completion");
  app.add_option("--job-memory-limit-mb", f.job_memory_limit_mb,
                 "Per-job bound on working memory besides the model, in MiB (0: the "
                 "machine's memory divided by the job slots)")
      ->capture_default_str();
}

std::string ReadFileOrDie(const std::string& flag, const std::string& path) {
  absl::StatusOr<std::string> bytes = ptune::ReadFile(path);
  if (!bytes.ok()) {
    std::cerr << "error: " << flag << ": " << bytes.status().message() << "\n";
    std::exit(2);
  }
  return *std::move(bytes);
}

std::string Token(const Flags& f) {
  std::string token;
  if (!f.token_file.empty()) {
    token = ReadFileOrDie("--token-file", f.token_file);
  } else if (const char* env = std::getenv("PTUNE_TOKEN")) {
    token = env;
  }
  return std::string(absl::StripAsciiWhitespace(token));
}

std::shared_ptr<grpc::Channel> MakeChannel(const Flags& f) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!f.tls_ca.empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFileOrDie("--tls-ca", f.tls_ca);
    if (!f.tls_cert.empty()) ssl.pem_cert_chain = ReadFileOrDie("--tls-cert", f.tls_cert);
    if (!f.tls_key.empty()) ssl.pem_private_key = ReadFileOrDie("--tls-key", f.tls_key);
    credentials = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments args;
  // Keep gRPC's own reconnect attempts frequent: the agent adds its jittered backoff.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, 256 << 20);
  return grpc::CreateCustomChannel(f.scheduler, credentials, args);
}

std::map<std::string, std::string> ParseLabels(const std::vector<std::string>& labels) {
  std::map<std::string, std::string> out;
  for (const auto& kv : labels) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "error: --labels " << kv << ": expected key=value\n";
      std::exit(2);
    }
    out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

std::string Hostname() {
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  return name;
}

// Waits for SIGINT/SIGTERM (blocked in every thread) and asks the agent to shut down;
// a second signal ends the process at once.
class SignalWatcher {
 public:
  explicit SignalWatcher(ptune::agent::WorkerAgent* agent)
      : thread_([this, agent] { Watch(agent); }) {}
  ~SignalWatcher() {
    done_ = true;
    thread_.join();
  }

 private:
  void Watch(ptune::agent::WorkerAgent* agent) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    const timespec tick{0, 200 * 1000 * 1000};
    int received = 0;
    while (!done_) {
      const int sig = sigtimedwait(&set, nullptr, &tick);
      if (sig < 0) continue;
      if (++received > 1) std::_Exit(128 + sig);
      std::cerr << "ptune-worker: " << strsignal(sig) << ": checkpointing and shutting down\n";
      agent->Shutdown();
    }
  }
  std::atomic<bool> done_{false};
  std::thread thread_;
};

ptune::agent::WorkerAgentOptions AgentOptions(const Flags& f) {
  ptune::agent::WorkerAgentOptions o;
  o.hostname = Hostname();
  o.worker_id = f.worker_id.empty() ? absl::StrCat(o.hostname, "-", getpid()) : f.worker_id;
  o.version = ptune::Version();
  o.labels = ParseLabels(f.labels);
  o.devices = ptune::agent::DiscoverDevices(ptune::agent::EngineRunner::SupportsCuda());
  o.cpu_slots = f.max_cpu_jobs;
  o.work_dir = f.work_dir;
  o.keep_job_dirs = f.keep_job_dirs;
  o.stream.token = Token(f);
  o.shutdown_timeout = std::chrono::milliseconds(static_cast<int64_t>(f.shutdown_timeout_s * 1000));
  o.job_memory_limit_bytes = f.job_memory_limit_mb << 20;
  if (o.job_memory_limit_bytes == 0) {
    // A job that would need the whole machine fails with a reason instead of taking the
    // worker (and its other jobs) down with the kernel's OOM killer.
    uint32_t gpus = 0;
    for (const auto& d : o.devices) gpus += d.kind() == ptune::v1::DEVICE_KIND_CUDA;
    o.job_memory_limit_bytes =
        o.devices.front().total_memory_bytes() / ptune::JobSlots(gpus, o.cpu_slots);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the mask and only the watcher
  // receives the signals.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  CLI::App app{"ptune-worker: run tuning jobs from a ptune scheduler on this machine's CPU/GPUs."};
  app.set_version_flag("--version", ptune::Version());
  Flags flags;
  AddFlags(app, flags);
  CLI11_PARSE(app, argc, argv);
  if (flags.tls_cert.empty() != flags.tls_key.empty()) {
    std::cerr << "error: --tls-cert and --tls-key go together (mTLS)\n";
    return 2;
  }

  ptune::engine::InitRuntime(flags.threads);
  ptune::agent::WorkerAgentOptions options = AgentOptions(flags);
  std::cerr << "ptune-worker " << ptune::Version() << " " << options.worker_id << " ("
            << ptune::engine::RuntimeSummary() << ")\n";
  auto metrics = ptune::agent::WorkerMetrics::Create(options.worker_id, flags.metrics_listen);
  if (!metrics.ok()) {
    std::cerr << "error: " << metrics.status().message() << "\n";
    return 2;
  }
  if ((*metrics)->port() != 0) {
    std::cerr << "ptune-worker: metrics on port " << (*metrics)->port() << "\n";
  }
  (*metrics)->SetDevices(options.devices);
  // One loaded copy of each backbone for every job this worker runs.
  ptune::engine::BackboneCache::Options cache_options;
  cache_options.models_dir = flags.models_dir;
  ptune::engine::BackboneCache backbones(cache_options);
  ptune::agent::EngineRunner runner(&backbones);
  options.runner = &runner;
  options.metrics = metrics->get();
  auto agent = ptune::agent::WorkerAgent::Create(MakeChannel(flags), std::move(options));
  if (!agent.ok()) {
    std::cerr << "error: " << agent.status().message() << "\n";
    return 2;
  }
  absl::Status status;
  {
    SignalWatcher watcher(agent->get());
    status = (*agent)->Run();
  }
  if (!status.ok()) std::cerr << "ptune-worker: " << status.message() << "\n";
  // A job stuck inside the engine past the timeout: leave without joining it.
  if ((*agent)->JobsStillRunning()) std::_Exit(status.ok() ? 0 : 1);
  return status.ok() ? 0 : 1;
}
