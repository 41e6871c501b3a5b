#ifndef PTUNE_TESTS_RELIABILITY_FLEET_H_
#define PTUNE_TESTS_RELIABILITY_FLEET_H_

// A real deployment for fault injection: one ptune-scheduler process on a SQLite file in
// a scoped temporary directory, any number of ptune-worker processes, all on 127.0.0.1,
// plus a JobService stub. Unlike tests/e2e's Cluster it lets a test pass extra scheduler
// flags, restart the scheduler on the same store, and count and kill workers by name;
// processes are signalled by their own PID only (tests/support/child_process.h).

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "ptune/v1/job_service.grpc.pb.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace ptune::reliability {

class Fleet {
 public:
  // `scheduler_flags` are appended to the scheduler's command line on every start.
  explicit Fleet(std::vector<std::string> scheduler_flags);
  ~Fleet();

  // (Re)starts the scheduler on the same port and store; returns once it answers
  // ListWorkers (false after 30 s).
  bool StartScheduler();
  support::ChildProcess& scheduler() { return *scheduler_; }
  void StartWorker(const std::string& id);
  // SIGKILLs the worker and waits for it to be reaped.
  void KillWorker(const std::string& id);
  support::ChildProcess& worker(const std::string& id) { return *workers_.at(id); }
  // Workers the scheduler lists as connected (not LOST); -1 when the call fails.
  int ConnectedWorkers();

  v1::JobService::Stub& stub() { return *stub_; }
  // GetJob; an empty Job when the call fails.
  v1::Job GetJob(const std::string& job_id);
  // Every event of the job via WatchJob from seq 0 until the stream ends.
  grpc::Status WatchAll(const std::string& job_id, std::vector<v1::JobEvent>* events);

  const support::TempDir& dir() const { return dir_; }
  std::string store_path() const { return dir_.File("ptune.db"); }
  std::string address() const;
  // The tail of every process log, for failure messages.
  std::string Logs() const;

 private:
  support::TempDir dir_;
  int port_;
  std::vector<std::string> scheduler_flags_;
  int scheduler_starts_ = 0;
  std::unique_ptr<support::ChildProcess> scheduler_;
  std::map<std::string, std::unique_ptr<support::ChildProcess>> workers_;
  std::unique_ptr<v1::JobService::Stub> stub_;
};

// A USE-Lite PT job on the built-in uci-sentiment data that runs in a few seconds on
// one CPU thread, with eval, topology and checkpoint events every few steps.
std::string ShortJobYaml(const std::string& name, int steps);

// Checks a job's stream read from seq 0: seq is 1..n without gaps or duplicates, and
// per event kind (step, eval per split, topology, checkpoint) the step numbers strictly
// increase, so no (step, kind) is streamed twice, not even by the final evaluation.
// Returns "" or a description of the first violation.
std::string StreamViolation(const std::vector<v1::JobEvent>& events);

}  // namespace ptune::reliability

#endif  // PTUNE_TESTS_RELIABILITY_FLEET_H_
