#ifndef PTUNE_TESTS_E2E_CLUSTER_H_
#define PTUNE_TESTS_E2E_CLUSTER_H_

// A local ptune deployment made of real processes on loopback: one ptune-scheduler
// (SQLite store in a temporary directory), any number of ptune-workers, and ptunectl
// for the client commands. The test also talks to JobService directly to check what
// the scheduler stored.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ptune/v1/job_service.grpc.pb.h"
#include "tests/support/child_process.h"
#include "tests/support/free_port.h"

namespace ptune::e2e {

using ::ptune::support::ChildProcess;
using ::ptune::support::FreePort;

class Cluster {
 public:
  // `name` names the temporary directory; `lease_timeout` is the scheduler's flag.
  Cluster(const std::string& name, std::string lease_timeout = "3s");
  ~Cluster();

  void StartScheduler();
  ChildProcess& scheduler() { return *scheduler_; }
  ChildProcess& StartWorker(const std::string& id);
  ChildProcess& worker(const std::string& id) { return *workers_.at(id); }

  // Blocks until `n` workers are connected (not LOST); false on timeout.
  bool WaitForWorkers(int n, std::chrono::seconds timeout = std::chrono::seconds(60));

  // Writes a spec file into the cluster directory and returns its path.
  std::string WriteSpec(const std::string& file_name, const std::string& yaml);
  // `ptunectl submit <spec> -o id`; the job id (test failure + "" on error).
  std::string Submit(const std::string& spec_path);
  // Runs ptunectl against this scheduler; returns the exit code, output in `out`.
  int Ctl(const std::vector<std::string>& args, std::string* out,
          std::chrono::seconds timeout = std::chrono::seconds(60));

  // GetJob (an empty Job when the call fails).
  v1::Job GetJob(const std::string& job_id);
  // Polls GetJob until `done(job)` or the timeout; returns the last job seen.
  v1::Job WaitForJob(const std::string& job_id, const std::function<bool(const v1::Job&)>& done,
                     std::chrono::seconds timeout);
  // Every event of the job via WatchJob from seq 0 until the stream ends (the job is
  // final) or the timeout passes.
  std::vector<v1::JobEvent> WatchAll(const std::string& job_id, std::chrono::seconds timeout);

  const std::string& dir() const { return dir_; }
  std::string address() const;
  // Diagnostics for failure messages: the tail of every process log.
  std::string Logs() const;

 private:
  std::unique_ptr<v1::JobService::Stub> Stub() const;

  std::string dir_;
  int port_;
  std::string lease_timeout_;
  std::unique_ptr<ChildProcess> scheduler_;
  int scheduler_starts_ = 0;
  std::map<std::string, std::unique_ptr<ChildProcess>> workers_;
};

// A small job that runs in seconds on USE-Lite: PT, short sequences, few examples.
std::string TinySpec(const std::string& name, int steps, int checkpoint_every,
                     const std::string& data_lines = "  dataset: uci-sentiment\n");

bool IsFinal(const v1::Job& job);

}  // namespace ptune::e2e

#endif  // PTUNE_TESTS_E2E_CLUSTER_H_
