#ifndef PTUNE_SERVER_JOB_SERVICE_H_
#define PTUNE_SERVER_JOB_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "ptune/v1/job_service.grpc.pb.h"
#include "server/auth.h"
#include "server/event_hub.h"
#include "server/job_manager.h"
#include "server/metrics.h"
#include "server/store/job_store.h"

namespace ptune::server {

// The public job API over gRPC: authenticates, calls the JobManager, maps errors once.
// Streams use one reactor each; no thread blocks per stream.
// WatchJob and WatchJobBatched are registered as raw callback methods: they write
// pre-serialised JobEvent bytes shared by all watchers of a job (see WireEvent).
// Clients see the same `stream JobEvent` / `stream JobEventBatch` contracts.
class JobServiceImpl final : public ptune::v1::JobService::WithRawCallbackMethod_WatchJob<
                                 ptune::v1::JobService::WithRawCallbackMethod_WatchJobBatched<
                                     ptune::v1::JobService::CallbackService>> {
 public:
  // Every pointer must outlive the service.
  JobServiceImpl(JobManager* manager, JobStore* store, EventHub* hub, const Authenticator* auth,
                 SchedulerMetrics* metrics)
      : manager_(manager), store_(store), hub_(hub), auth_(auth), metrics_(metrics) {}

  grpc::ServerUnaryReactor* SubmitJob(grpc::CallbackServerContext* context,
                                      const ptune::v1::SubmitJobRequest* request,
                                      ptune::v1::SubmitJobResponse* response) override;
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* context,
                                   const ptune::v1::GetJobRequest* request,
                                   ptune::v1::Job* response) override;
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* context,
                                     const ptune::v1::ListJobsRequest* request,
                                     ptune::v1::ListJobsResponse* response) override;
  grpc::ServerUnaryReactor* CancelJob(grpc::CallbackServerContext* context,
                                      const ptune::v1::CancelJobRequest* request,
                                      ptune::v1::Job* response) override;
  // `request` is a serialised WatchJobRequest; INVALID_ARGUMENT when it does not parse.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchJob(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request) override;
  // Same checks and request as WatchJob; writes JobEventBatch messages.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchJobBatched(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) override;
  grpc::ServerWriteReactor<ptune::v1::ArtifactChunk>* GetArtifact(
      grpc::CallbackServerContext* context, const ptune::v1::GetArtifactRequest* request) override;
  grpc::ServerUnaryReactor* ListWorkers(grpc::CallbackServerContext* context,
                                        const ptune::v1::ListWorkersRequest* request,
                                        ptune::v1::ListWorkersResponse* response) override;

 private:
  // Authenticates, parses the request, checks the caller may see the job, and starts
  // the watch (the one path both watch methods share).
  grpc::ServerWriteReactor<grpc::ByteBuffer>* StartWatch(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         bool batched);

  JobManager* const manager_;
  JobStore* const store_;
  EventHub* const hub_;
  const Authenticator* const auth_;
  SchedulerMetrics* const metrics_;
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_JOB_SERVICE_H_
