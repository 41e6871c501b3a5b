// Shared fixtures of the scheduler tests: a real SchedulerServer on loopback with a
// real SQLite file in a temp dir, a JobService client, and a worker test double that
// speaks the real worker protocol over gRPC.
#ifndef PTUNE_TESTS_SERVER_TEST_HARNESS_H_
#define PTUNE_TESTS_SERVER_TEST_HARNESS_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ptune/v1/job_service.grpc.pb.h"
#include "ptune/v1/worker_service.grpc.pb.h"
#include "server/scheduler_server.h"
#include "tests/support/temp_dir.h"

namespace ptune::server::testing {

using support::TempDir;

// Options for a fast test scheduler: loopback, port 0, the store in `dir`, a short lease.
SchedulerOptions TestOptions(const std::string& dir);

// A minimal valid job spec.
ptune::v1::JobSpec TestSpec();

// A JobService client. `token` is sent as a bearer token when non-empty.
class Client {
 public:
  Client(std::shared_ptr<grpc::Channel> channel, std::string token = "");
  Client(int port, std::string token = "");

  grpc::Status Submit(const ptune::v1::SubmitJobRequest& request,
                      ptune::v1::SubmitJobResponse* response);
  // Submits request_id with TestSpec(); fails the test on error.
  ptune::v1::Job MustSubmit(const std::string& request_id, int32_t priority = 0);
  grpc::Status Get(const std::string& job_id, ptune::v1::Job* job);
  ptune::v1::Job MustGet(const std::string& job_id);
  grpc::Status List(const ptune::v1::ListJobsRequest& request,
                    ptune::v1::ListJobsResponse* response);
  grpc::Status Cancel(const std::string& job_id, ptune::v1::Job* job);
  // Reads the whole watch stream (until it ends or `max_events` arrived) into `events`.
  grpc::Status Watch(const std::string& job_id, uint64_t after_seq,
                     std::vector<ptune::v1::JobEvent>* events, size_t max_events = SIZE_MAX);
  // The same through WatchJobBatched; `batches` (optional) counts the messages.
  grpc::Status WatchBatched(const std::string& job_id, uint64_t after_seq,
                            std::vector<ptune::v1::JobEvent>* events, size_t max_events = SIZE_MAX,
                            size_t* batches = nullptr);
  grpc::Status Download(const std::string& job_id, const std::string& name, std::string* data);
  // Polls until `predicate(job)` holds (fails the test after ~10 s).
  ptune::v1::Job WaitFor(const std::string& job_id,
                         const std::function<bool(const ptune::v1::Job&)>& predicate);
  ptune::v1::JobService::Stub* stub() { return stub_.get(); }
  void Prepare(grpc::ClientContext* context) const;

 private:
  std::string token_;
  std::unique_ptr<ptune::v1::JobService::Stub> stub_;
};

// The worker side of the real protocol over a real stream. Received messages are
// queued by a reader thread; tests pick them with Expect*.
class FakeWorker {
 public:
  FakeWorker(int port, std::string worker_id, std::string token = "");
  FakeWorker(std::shared_ptr<grpc::Channel> channel, std::string worker_id, std::string token = "");
  ~FakeWorker();

  // Opens the stream, sends Register (claiming `running`) and waits for Registered.
  // Returns false when the stream failed instead (see status()).
  bool Connect(const std::vector<ptune::v1::RunningJob>& running = {},
               const ptune::v1::Register& base = ptune::v1::Register());
  // Drops the connection abruptly (like a crash or a network cut).
  void Crash();
  // Whether a background thread heartbeats every 100 ms while connected (default on,
  // as a real worker does); off simulates a hung worker.
  void set_heartbeats(bool on) { heartbeats_ = on; }
  grpc::Status status();

  void Send(const ptune::v1::WorkerMessage& message);
  void Heartbeat();
  void Telemetry(const std::string& job_id, uint32_t attempt, uint64_t first_index,
                 const std::vector<ptune::v1::JobEvent>& events);
  void Checkpoint(const std::string& job_id, uint32_t attempt, uint64_t step,
                  const std::string& data, size_t chunk = 1000);
  void Artifact(const std::string& job_id, uint32_t attempt, const std::string& name,
                const std::string& data);
  void Finish(const std::string& job_id, uint32_t attempt, ptune::v1::JobFinished::Result result,
              uint64_t last_index, const std::string& reason = "");
  void CancelAck(const std::string& job_id);

  // The next received message of `kind` (earlier messages of other kinds are kept);
  // nullopt after `timeout`.
  std::optional<ptune::v1::SchedulerMessage> Expect(
      ptune::v1::SchedulerMessage::KindCase kind,
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits for the telemetry ack reaching `index` for `job_id`.
  bool ExpectAck(const std::string& job_id, uint64_t index);
  // True when no message of `kind` arrives within `wait`.
  bool None(ptune::v1::SchedulerMessage::KindCase kind, std::chrono::milliseconds wait);

 private:
  void ReadLoop();

  std::shared_ptr<grpc::Channel> channel_;
  const std::string worker_id_;
  const std::string token_;
  std::unique_ptr<ptune::v1::WorkerService::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReaderWriter<ptune::v1::WorkerMessage, ptune::v1::SchedulerMessage>>
      stream_;
  std::thread reader_;
  std::thread heartbeat_;
  std::atomic<bool> heartbeats_{true};
  std::atomic<bool> connected_{false};
  std::mutex write_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ptune::v1::SchedulerMessage> received_;
  bool ended_ = false;
  grpc::Status status_;
};

// A test fixture with a running scheduler (TestOptions in a fresh temp dir) and a client.
class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(TestOptions(dir_.path())); }
  // (Re)starts the scheduler on the same store: a restart when one was running.
  void Start(const SchedulerOptions& options);

  TempDir dir_;
  std::unique_ptr<SchedulerServer> server_;
  std::unique_ptr<Client> client_;
};

// A StepRecord event for `step`.
ptune::v1::JobEvent StepEvent(uint64_t step, double loss = 1.0);

}  // namespace ptune::server::testing

#endif  // PTUNE_TESTS_SERVER_TEST_HARNESS_H_
