// ptune-scheduler: accepts tuning jobs over gRPC and dispatches them to workers.
#include <csignal>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "common/version.h"
#include "server/config.h"
#include "server/scheduler_server.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ptune-scheduler: durable job queue and dispatcher for soft-prompt tuning."};
  app.set_version_flag("--version", ptune::Version());
  ptune::server::SchedulerOptions options;
  ptune::server::SchedulerFlags flags;
  ptune::server::AddSchedulerFlags(app, &options, &flags);
  CLI11_PARSE(app, argc, argv);
  // Debian builds abseil without NDEBUG, so absl::Mutex (which gRPC uses inside) runs its
  // debug deadlock detector by default: a global graph updated under a global lock on
  // each lock acquisition. It showed up on every streamed message; the scheduler's own
  // locks are std::mutex and its tests run with the detector on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (absl::Status status = ptune::server::ApplySchedulerFlags(flags, &options); !status.ok()) {
    std::cerr << "ptune-scheduler: " << status.message() << "\n";
    return 2;
  }

  auto server = ptune::server::SchedulerServer::Create(options);
  if (!server.ok()) {
    ptune::Log("error", "startup failed", {{"error", server.status().ToString()}});
    return 1;
  }
  if ((*server)->insecure()) {
    ptune::Log("warning",
               "INSECURE local mode: no tokens file, every caller is admin of tenant "
               "\"default\"; use --tokens-file (and --tls-cert/--tls-key) beyond localhost",
               {});
  }
  ptune::Log("info", "listening",
             {{"version", ptune::Version()},
              {"port", std::to_string((*server)->port())},
              {"metrics_port", std::to_string((*server)->metrics_port())},
              {"store", options.store_path},
              {"tls", options.tls.cert_file.empty() ? "off" : "on"}});
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  std::thread waiter([&] { (*server)->Wait(); });
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ptune::Log("info", "shutting down: draining and flushing the store", {});
  (*server)->Shutdown();
  waiter.join();
  ptune::Log("info", "stopped", {});
  return 0;
}
