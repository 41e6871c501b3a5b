#ifndef PTUNE_TESTS_RELIABILITY_LOAD_SIM_WORKER_H_
#define PTUNE_TESTS_RELIABILITY_LOAD_SIM_WORKER_H_

// A simulated ptune-worker for load runs: it speaks the real worker protocol over its own
// WorkerService.Connect stream (Register, heartbeats, Assignment, at-least-once telemetry
// with a bounded window of unacknowledged events, checkpoint and artifact uploads,
// JobFinished, CancelAck) but trains nothing: each job is a fixed shape of step, eval,
// topology and checkpoint events paced by a sleep. Unlike tests/server's FakeWorker (a
// test double a test drives message by message) it runs on its own, one job at a time,
// until Stop(). Errors of its stream go to the ledger.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "ptune/v1/worker_service.grpc.pb.h"
#include "tests/reliability/load/job_ledger.h"

namespace ptune::load {

// What one simulated job sends. Every `*_every` step also carries that event; the
// topology event carries a persistence diagram of `diagram_pairs` pairs (its size is what
// makes a job's history weigh something).
struct SimJobShape {
  int steps = 20;
  int step_interval_ms = 5;
  int eval_every = 10;
  int topology_every = 5;
  int diagram_pairs = 64;
  int checkpoint_every = 10;
  int checkpoint_bytes = 4096;
  int artifact_bytes = 1024;
  // Telemetry events in flight before the worker waits for an ack.
  int ack_window = 64;
};

class SimWorker {
 public:
  SimWorker(std::shared_ptr<grpc::Channel> channel, std::string worker_id, SimJobShape shape,
            JobLedger* ledger);
  ~SimWorker();
  SimWorker(const SimWorker&) = delete;
  SimWorker& operator=(const SimWorker&) = delete;

  // Connects and registers; false (with the error in the ledger) when Registered does not
  // come within 10 s. Then takes jobs on its own thread.
  bool Start();
  // Finishes the job in progress, then closes the stream.
  void Stop();

 private:
  void ReadLoop();
  void DriveLoop();
  void RunJob(const ptune::v1::Assignment& assignment);
  void Write(const ptune::v1::WorkerMessage& message);
  // Waits until the scheduler acknowledged `index` of `job_id`; false when the stream ended
  // or the job was cancelled.
  bool WaitAcked(const std::string& job_id, uint64_t index);
  bool Cancelled(const std::string& job_id);

  const std::string worker_id_;
  const SimJobShape shape_;
  JobLedger* const ledger_;
  std::unique_ptr<ptune::v1::WorkerService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<ptune::v1::WorkerMessage, ptune::v1::SchedulerMessage>>
      stream_;
  std::mutex write_mu_;
  std::thread reader_;
  std::thread driver_;
  // Stop() closed the stream (the destructor calls Stop() again).
  bool closed_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  bool registered_ = false;
  bool ended_ = false;
  bool stopping_ = false;
  std::deque<ptune::v1::Assignment> assignments_;
  std::string acked_job_;
  uint64_t acked_index_ = 0;
  std::set<std::string> cancelled_;
};

}  // namespace ptune::load

#endif  // PTUNE_TESTS_RELIABILITY_LOAD_SIM_WORKER_H_
