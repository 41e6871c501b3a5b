#ifndef PTUNE_TESTS_AGENT_FAKE_SCHEDULER_H_
#define PTUNE_TESTS_AGENT_FAKE_SCHEDULER_H_

// A scripted WorkerService on loopback (real gRPC) that records what a worker sends,
// stores telemetry the way the protocol says (highest contiguous index), and lets a test
// send assignments and cancels, withhold acks, or cut the stream.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ptune/v1/worker_service.grpc.pb.h"

namespace ptune::agent::testing {

class FakeScheduler final : public v1::WorkerService::Service {
 public:
  struct Attempt {
    std::map<uint64_t, v1::JobEvent> events;  // by index, contiguous from 1
    uint64_t stored_upto = 0;
    std::vector<std::pair<uint64_t, std::string>> checkpoints;  // (step, bytes), complete
    std::map<std::string, std::string> artifacts;               // complete uploads
    std::vector<v1::JobFinished> finished;
  };

  explicit FakeScheduler(std::string required_token = "");
  ~FakeScheduler() override;

  // Starts serving on 127.0.0.1 (port 0: any free port).
  void Start(int port = 0);
  void Stop();
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  grpc::Status Connect(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::SchedulerMessage, v1::WorkerMessage>* stream) override;

  // Writes to the current stream; false when no worker is connected.
  bool Send(const v1::SchedulerMessage& message);
  bool Assign(const std::string& job_id, uint32_t attempt, const v1::JobSpec& spec,
              const std::string& checkpoint = "", uint64_t checkpoint_step = 0,
              uint64_t acked_index = 0);
  bool Cancel(const std::string& job_id);
  // Cancels the current stream (the worker sees a broken connection).
  void DropStream();
  void SetAutoAck(bool on);
  // Pretends events up to `index` of the attempt were stored earlier (a restarted
  // scheduler that kept them in its database).
  void SetStored(const std::string& job_id, uint32_t attempt, uint64_t index);

  // Blocks until `done(*this)` holds (checked under the lock after every message) or
  // the timeout passes; returns whether it holds.
  bool WaitFor(const std::function<bool(const FakeScheduler&)>& done,
               std::chrono::seconds timeout = std::chrono::seconds(30));

  // Accessors for use inside WaitFor predicates (lock held) or after WaitFor.
  const Attempt* attempt(const std::string& job_id, uint32_t attempt) const;
  const std::vector<v1::Register>& registers() const { return registers_; }
  const std::vector<std::string>& cancel_acks() const { return cancel_acks_; }
  int heartbeats() const { return heartbeats_; }
  // Results received before the first Heartbeat with draining set (-1: none seen).
  int finished_before_drain() const { return finished_before_drain_; }
  bool connected() const { return current_ != nullptr; }
  std::vector<v1::JobFinished> AllFinished() const;

 private:
  using Stream = grpc::ServerReaderWriter<v1::SchedulerMessage, v1::WorkerMessage>;
  void Handle(const v1::WorkerMessage& message, Stream* stream);
  void StoreTelemetry(const v1::TelemetryBatch& batch, Stream* stream);

  const std::string required_token_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  Stream* current_ = nullptr;
  grpc::ServerContext* current_context_ = nullptr;
  bool auto_ack_ = true;
  std::map<std::string, Attempt> attempts_;     // by "job#attempt"
  std::map<std::string, std::string> partial_;  // uploads in progress
  std::vector<v1::Register> registers_;
  std::vector<std::string> cancel_acks_;
  int heartbeats_ = 0;
  int finished_before_drain_ = -1;
};

}  // namespace ptune::agent::testing

#endif  // PTUNE_TESTS_AGENT_FAKE_SCHEDULER_H_
