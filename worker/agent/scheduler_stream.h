#ifndef PTUNE_WORKER_AGENT_SCHEDULER_STREAM_H_
#define PTUNE_WORKER_AGENT_SCHEDULER_STREAM_H_

// One open WorkerService.Connect stream: registration handshake, a reader thread that
// hands every SchedulerMessage to a callback, and writes from a single owner thread.
// A broken stream is not repaired; the owner drops it and opens a new one.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "ptune/v1/worker_service.grpc.pb.h"

namespace ptune::agent {

struct SchedulerStreamOptions {
  // Bearer token sent as `authorization: Bearer <token>` ("" = none).
  std::string token;
  // How long to wait for the channel to connect and for the Registered reply.
  std::chrono::milliseconds connect_timeout{3000};
  // Called on the reader thread for each message after Registered, in order.
  std::function<void(v1::SchedulerMessage)> on_message;
  // Called once on the reader thread when the stream ends for any reason.
  std::function<void()> on_broken;
};

class SchedulerStream {
 public:
  // Connects, sends `registration` and waits for Registered. UNAVAILABLE when the
  // scheduler cannot be reached in time; the scheduler's own status (e.g.
  // UNAUTHENTICATED) when it refuses the stream.
  static absl::StatusOr<std::unique_ptr<SchedulerStream>> Open(
      const std::shared_ptr<grpc::Channel>& channel, const v1::Register& registration,
      SchedulerStreamOptions options);

  // Cancels the call and joins the reader thread.
  ~SchedulerStream();

  const v1::Registered& registered() const { return registered_; }

  // Writes one message; false once the stream is broken. Single writer thread only.
  bool Write(const v1::WorkerMessage& message);

 private:
  SchedulerStream(const std::shared_ptr<grpc::Channel>& channel, SchedulerStreamOptions options);
  void ReadLoop();
  // Waits for the Registered reply or the end of the stream.
  absl::Status AwaitRegistered();

  // Constant after construction.
  const SchedulerStreamOptions options_;
  std::unique_ptr<v1::WorkerService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::WorkerMessage, v1::SchedulerMessage>> stream_;
  std::thread reader_;

  std::mutex mu_;
  std::condition_variable registered_cv_;
  bool have_registered_ = false;  // guarded by mu_
  bool ended_ = false;            // guarded by mu_
  v1::Registered registered_;     // written before have_registered_ is set
  std::atomic<bool> broken_{false};
  // Owner thread only: Finish was called (it must be called exactly once).
  bool finished_ = false;
};

}  // namespace ptune::agent

#endif  // PTUNE_WORKER_AGENT_SCHEDULER_STREAM_H_
