#ifndef PTUNE_TESTS_RELIABILITY_LOAD_LOAD_RUN_H_
#define PTUNE_TESTS_RELIABILITY_LOAD_LOAD_RUN_H_

// One load run against a ptune-scheduler that is already running (the run starts
// nothing): `submitters` threads submit `jobs` jobs (unique request_ids) while a fleet
// of `workers` SimWorkers drains the queue and `watchers` threads watch running jobs
// with a hang-up and resume each; then `probe_jobs` jobs are submitted one at a time to
// an idle fleet (dispatch latency without a backlog). The scheduler's RSS is sampled
// from /proc/<scheduler_pid>/status as the history grows. Finally every acknowledged job
// is looked up (ListJobs) and must be final.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/reliability/load/sim_worker.h"

namespace ptune::load {

struct LoadOptions {
  std::string address;      // host:port of the scheduler (127.0.0.1 only in this project)
  pid_t scheduler_pid = 0;  // 0: no RSS samples
  int jobs = 10000;
  int submitters = 16;
  int watchers = 100;
  int workers = 32;
  int probe_jobs = 100;
  // Connections the clients share (each a distinct TCP connection); workers and
  // watchers are spread over them.
  int connections = 8;
  SimJobShape shape;
  std::chrono::milliseconds rss_every{500};
  // The whole run's bound; what is not done by then is reported, not waited for.
  std::chrono::seconds timeout{900};
};

struct RssSample {
  double seconds = 0;  // since the run started
  double rss_mib = 0;
  int64_t jobs_finished = 0;  // JobFinished sent by the fleet
  int64_t events_sent = 0;    // telemetry events sent (stored once acked)
};

struct LoadReport {
  int64_t submitted = 0;   // acknowledged submits
  int64_t final_jobs = 0;  // of those, final in ListJobs at the end
  int64_t succeeded = 0;
  std::vector<std::string> not_final;  // the first few ids that were not
  int64_t peak_queued = 0;
  double seconds = 0;
  double submit_seconds = 0;
  std::vector<double> submit_ms;
  std::vector<double> queue_wait_ms;  // ack → assignment, the backlog phase
  std::vector<double> dispatch_ms;    // ack → assignment, idle fleet (probes)
  int64_t watch_streams = 0;
  int64_t resumes = 0;
  int64_t jobs_watched = 0;
  int64_t deliveries = 0;
  std::vector<double> delivery_ms;
  int64_t events_sent = 0;
  int64_t event_bytes_sent = 0;
  std::map<std::string, int64_t> errors;  // by gRPC code name
  std::vector<std::string> error_samples;
  std::vector<std::string> violations;
  std::vector<RssSample> rss;
  double peak_rss_mib = 0;  // VmHWM at the end

  int64_t error_count() const;
  double rss_first_mib() const { return rss.empty() ? 0 : rss.front().rss_mib; }
  double rss_last_mib() const { return rss.empty() ? 0 : rss.back().rss_mib; }
  nlohmann::json ToJson() const;
  // The human table ptune-loadgen and scripts/load-test.sh print.
  std::string Table() const;
};

LoadReport RunLoad(const LoadOptions& options);

// The value below which a fraction `p` of `values` lies (nearest rank); 0 when empty.
double Percentile(std::vector<double> values, double p);
// VmRSS / VmHWM of a process in MiB from /proc/<pid>/status; 0 when unreadable.
double ProcStatusMiB(pid_t pid, const std::string& key);

}  // namespace ptune::load

#endif  // PTUNE_TESTS_RELIABILITY_LOAD_LOAD_RUN_H_
