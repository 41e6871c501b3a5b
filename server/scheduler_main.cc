// ptune-scheduler: accepts tuning jobs over gRPC and dispatches them to workers.
#include <csignal>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "common/version.h"
#include "server/scheduler_server.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ptune-scheduler: durable job queue and dispatcher for soft-prompt tuning."};
  app.set_version_flag("--version", ptune::Version());
  ptune::server::SchedulerOptions options;
  app.add_option("--listen", options.listen_address, "gRPC listen address host:port")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto server = ptune::server::SchedulerServer::Create(options);
  if (!server.ok()) {
    std::cerr << "ptune-scheduler: " << server.status().message() << "\n";
    return 1;
  }
  std::cerr << "ptune-scheduler " << ptune::Version() << " listening on port "
            << (*server)->port() << "\n";
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::thread waiter([&] { (*server)->Wait(); });
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::cerr << "ptune-scheduler: shutting down\n";
  (*server)->Shutdown();
  waiter.join();
  return 0;
}
