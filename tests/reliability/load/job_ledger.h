#ifndef PTUNE_TESTS_RELIABILITY_LOAD_JOB_LEDGER_H_
#define PTUNE_TESTS_RELIABILITY_LOAD_JOB_LEDGER_H_

// What the load generator's submitters, simulated workers and watchers know about the
// jobs of one run, shared between their threads: when each job's submit was acknowledged
// and when a worker received it (dispatch latency), which jobs are running now (what the
// watchers pick), how many telemetry events the fleet sent, and every error by gRPC code.
// Thread-safe.

#include <grpcpp/support/status.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace ptune::load {

using SteadyClock = std::chrono::steady_clock;

class JobLedger {
 public:
  // The submit of `job_id` was acknowledged at `at`.
  void Acked(const std::string& job_id, SteadyClock::time_point at);
  // A simulated worker received the job's Assignment at `at`.
  void Assigned(const std::string& job_id, SteadyClock::time_point at);
  // The worker sent JobFinished: the job is no longer a watch target.
  void Finished(const std::string& job_id);
  // Telemetry the fleet sent (all of it is stored once acknowledged: one attempt per job,
  // so no step is dropped as a re-run).
  void Sent(int64_t events, int64_t wire_bytes);
  // A failed call or stream; `where` names the caller ("submit", "watch", "worker").
  void Error(const std::string& where, const grpc::Status& status);
  // A watcher's stream broke the ordering rule (StreamViolation) or ended early.
  void Violation(const std::string& what);

  // A running job chosen uniformly by `rng`; "" when none runs.
  std::string PickRunning(std::mt19937& rng);
  // Waits until `job_id` was assigned (false after `timeout`); its dispatch latency.
  bool WaitAssigned(const std::string& job_id, std::chrono::milliseconds timeout,
                    double* dispatch_ms);
  // Waits until JobFinished was sent for `count` jobs (false after `timeout`).
  bool WaitFinished(int64_t count, std::chrono::milliseconds timeout);

  int64_t acked() const;
  int64_t finished() const;
  int64_t events_sent() const;
  int64_t event_bytes_sent() const;
  // The largest acked-but-not-yet-assigned count seen: the queue's depth.
  int64_t peak_queued() const;
  std::vector<std::string> acked_ids() const;
  // Queue wait (ack → assignment) of every assigned job, ms.
  std::vector<double> queue_waits_ms() const;
  std::map<std::string, int64_t> errors() const;
  // The first error of each code, with its message.
  std::vector<std::string> error_samples() const;
  std::vector<std::string> violations() const;

 private:
  struct Times {
    SteadyClock::time_point acked{};
    SteadyClock::time_point assigned{};
    bool has_ack = false;
    bool has_assignment = false;
  };
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, Times> jobs_;
  std::vector<std::string> acked_ids_;
  std::vector<std::string> running_;
  int64_t assigned_ = 0;
  int64_t finished_ = 0;
  int64_t peak_queued_ = 0;
  int64_t events_ = 0;
  int64_t event_bytes_ = 0;
  std::map<std::string, int64_t> errors_;
  std::vector<std::string> error_samples_;
  std::vector<std::string> violations_;
};

}  // namespace ptune::load

#endif  // PTUNE_TESTS_RELIABILITY_LOAD_JOB_LEDGER_H_
