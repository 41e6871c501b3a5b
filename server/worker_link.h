#ifndef PTUNE_SERVER_WORKER_LINK_H_
#define PTUNE_SERVER_WORKER_LINK_H_

#include "absl/status/status.h"
#include "ptune/v1/worker_service.pb.h"

namespace ptune::server {

// What the JobManager needs of one connected worker stream. The gRPC service
// implements it over the bidirectional stream; tests implement it in memory. Both
// methods are called with the manager's lock held, so they must not call back into
// the manager.
class WorkerLink {
 public:
  virtual ~WorkerLink() = default;
  // Queues a message for the worker; never blocks.
  virtual void Send(const ptune::v1::SchedulerMessage& message) = 0;
  // Ends the stream with `status` (worker declared dead, replaced, protocol error).
  virtual void Close(const absl::Status& status) = 0;
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_WORKER_LINK_H_
