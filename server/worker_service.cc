#include "server/worker_service.h"

#include <deque>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "server/auth_adapter.h"
#include "server/grpc_status.h"

namespace ptune::server {
namespace {

using ptune::v1::SchedulerMessage;
using ptune::v1::WorkerMessage;

// One worker's stream. Reads run one at a time (the manager sees messages in order);
// writes drain a queue the manager fills from any thread.
class WorkerStream final : public grpc::ServerBidiReactor<WorkerMessage, SchedulerMessage>,
                           public WorkerLink {
 public:
  explicit WorkerStream(JobManager* manager) : manager_(manager) { StartRead(&in_); }

  void Send(const SchedulerMessage& message) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return;
    out_.push_back(message);
    if (!writing_) WriteNext();
  }

  void Close(const absl::Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return;
    closing_ = true;
    close_status_ = ToGrpcStatus(status);
    if (!writing_) FinishOnce();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the worker closed its side or the connection broke
      Close(absl::OkStatus());
      return;
    }
    if (!registered_) {
      absl::Status status =
          in_.has_register_()
              ? manager_->RegisterWorker(this, in_.register_())
              : absl::FailedPreconditionError("the first worker message must be Register");
      if (!status.ok()) {
        Close(status);
        return;
      }
      registered_ = true;
    } else {
      manager_->HandleWorkerMessage(this, in_);
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    out_.pop_front();
    if (!ok) {
      closing_ = true;
      close_status_ = grpc::Status(grpc::StatusCode::UNAVAILABLE, "write to worker failed");
    }
    if (!out_.empty() && !closing_) {
      WriteNext();
    } else if (closing_) {
      FinishOnce();
    }
  }

  void OnDone() override {
    manager_->WorkerDisconnected(this);
    delete this;
  }

 private:
  void WriteNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    writing_ = true;
    StartWrite(&out_.front());
  }
  void FinishOnce() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(close_status_);
  }

  JobManager* const manager_;
  WorkerMessage in_;  // touched by the read chain only
  bool registered_ = false;

  std::mutex mu_;
  std::deque<SchedulerMessage> out_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status close_status_ ABSL_GUARDED_BY(mu_);
};

class RejectedStream final : public grpc::ServerBidiReactor<WorkerMessage, SchedulerMessage> {
 public:
  explicit RejectedStream(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerBidiReactor<WorkerMessage, SchedulerMessage>* WorkerServiceImpl::Connect(
    grpc::CallbackServerContext* context) {
  if (require_client_cert_ && !context->auth_context()->IsPeerAuthenticated()) {
    return new RejectedStream(absl::UnauthenticatedError(
        "workers must present a client certificate signed by the scheduler's CA"));
  }
  absl::StatusOr<Principal> principal = Authenticate(*auth_, *context);
  if (!principal.ok()) return new RejectedStream(principal.status());
  if (!principal->worker) {
    return new RejectedStream(
        absl::PermissionDeniedError("this token may not connect workers (needs role worker)"));
  }
  return new WorkerStream(manager_);
}

}  // namespace ptune::server
