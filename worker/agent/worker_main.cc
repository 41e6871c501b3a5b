// ptune-worker: connects to a scheduler and runs the jobs it assigns.
#include <iostream>

#include "CLI/CLI.hpp"
#include "common/version.h"
#include "worker/engine/runtime.h"

int main(int argc, char** argv) {
  CLI::App app{"ptune-worker: run tuning jobs from a ptune scheduler on this machine's CPU/GPUs."};
  app.set_version_flag("--version", ptune::Version());
  std::string scheduler = "localhost:50051", worker_id, token_file;
  int threads = 0;
  app.add_option("--scheduler", scheduler, "Scheduler address host:port")->capture_default_str();
  app.add_option("--id", worker_id, "Stable worker id (default: hostname-pid)");
  app.add_option("--token-file", token_file, "File holding the worker bearer token");
  app.add_option("--threads", threads, "Intra-op threads (0: every core)")->default_val(0);
  CLI11_PARSE(app, argc, argv);

  ptune::engine::InitRuntime(threads);
  std::cerr << "ptune-worker " << ptune::Version() << " (" << ptune::engine::RuntimeSummary()
            << ")\nerror: the worker agent is not built yet in this version\n";
  return 1;
}
