#ifndef PTUNE_SERVER_WORKER_SERVICE_H_
#define PTUNE_SERVER_WORKER_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "ptune/v1/worker_service.grpc.pb.h"
#include "server/auth.h"
#include "server/job_manager.h"

namespace ptune::server {

// The worker protocol over gRPC: one bidirectional reactor per connected worker that
// feeds the JobManager and sends what it queues. With a tokens file, only tokens with
// the `worker` role may connect; with `require_client_cert` (mTLS), the TLS peer must
// also present a certificate signed by the configured CA.
class WorkerServiceImpl final : public ptune::v1::WorkerService::CallbackService {
 public:
  WorkerServiceImpl(JobManager* manager, const Authenticator* auth, bool require_client_cert)
      : manager_(manager), auth_(auth), require_client_cert_(require_client_cert) {}

  grpc::ServerBidiReactor<ptune::v1::WorkerMessage, ptune::v1::SchedulerMessage>* Connect(
      grpc::CallbackServerContext* context) override;

 private:
  JobManager* const manager_;
  const Authenticator* const auth_;
  const bool require_client_cert_;
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_WORKER_SERVICE_H_
