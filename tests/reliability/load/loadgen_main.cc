// ptune-loadgen: drives a running ptune-scheduler with concurrent submitters, watchers
// that hang up and resume, and a fleet of simulated workers speaking the real worker
// protocol; prints latency percentiles, errors by gRPC code and the scheduler's RSS as
// the history grows (see docs/reliability.md, "Load"). Starts no process itself.
//
//   ptune-loadgen --address 127.0.0.1:50551 --scheduler-pid 1234 --jobs 10000
//     --submitters 16 --watchers 100 --workers 32 --json load.json
//
// Exit status: 0 when every acknowledged job is final, no call failed and every watched
// stream was gap-free and in order; 1 otherwise; 2 for bad flags.
#include <cstdio>
#include <fstream>

#include "CLI/CLI.hpp"
#include "tests/reliability/load/load_run.h"

int main(int argc, char** argv) {
  ptune::load::LoadOptions options;
  int pid = 0;
  int timeout_s = 900;
  std::string json_path;
  CLI::App app{"ptune-loadgen: load against a running ptune-scheduler"};
  // scripts/load-test.sh passes the sizes first; a later flag overrides.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--address", options.address, "scheduler address, 127.0.0.1:PORT")->required();
  app.add_option("--scheduler-pid", pid, "scheduler PID, for RSS from /proc (0: none)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--jobs", options.jobs, "jobs to submit")->check(CLI::Range(1, 10000000));
  app.add_option("--submitters", options.submitters, "submitting threads")
      ->check(CLI::Range(1, 1000));
  app.add_option("--watchers", options.watchers, "watching threads")->check(CLI::Range(0, 10000));
  app.add_option("--workers", options.workers, "simulated workers")->check(CLI::Range(1, 10000));
  app.add_option("--probe-jobs", options.probe_jobs, "jobs submitted one at a time at the end")
      ->check(CLI::Range(0, 100000));
  app.add_option("--connections", options.connections, "TCP connections the clients share")
      ->check(CLI::Range(1, 1000));
  app.add_option("--steps", options.shape.steps, "steps per simulated job")
      ->check(CLI::Range(1, 100000));
  app.add_option("--step-interval-ms", options.shape.step_interval_ms, "sleep per step")
      ->check(CLI::Range(0, 60000));
  app.add_option("--diagram-pairs", options.shape.diagram_pairs, "pairs per topology event")
      ->check(CLI::Range(0, 100000));
  app.add_option("--timeout", timeout_s, "bound of the whole run, seconds")
      ->check(CLI::Range(1, 86400));
  app.add_option("--json", json_path, "also write the report as JSON to this file");
  CLI11_PARSE(app, argc, argv);
  if (options.address.rfind("127.0.0.1:", 0) != 0 && options.address.rfind("localhost:", 0) != 0) {
    std::fprintf(stderr, "--address %s: only loopback (127.0.0.1:PORT) is allowed\n",
                 options.address.c_str());
    return 2;
  }
  options.scheduler_pid = pid;
  options.timeout = std::chrono::seconds(timeout_s);

  const ptune::load::LoadReport report = ptune::load::RunLoad(options);
  std::fputs(report.Table().c_str(), stdout);
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << report.ToJson().dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "--json %s: cannot write\n", json_path.c_str());
      return 1;
    }
  }
  const bool clean = report.final_jobs == report.submitted && report.error_count() == 0 &&
                     report.violations.empty();
  return clean ? 0 : 1;
}
