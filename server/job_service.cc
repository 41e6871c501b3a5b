#include "server/job_service.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "common/job_state.h"
#include "server/auth_adapter.h"
#include "server/grpc_status.h"
#include "server/submit_validation.h"
#include "server/watch_reactor.h"

namespace ptune::server {
namespace {

using ptune::v1::ArtifactChunk;
using ptune::v1::JobEvent;

constexpr size_t kArtifactChunkBytes = 64 << 10;

// A stream that fails before it starts.
template <typename Message>
class FailedWriter final : public grpc::ServerWriteReactor<Message> {
 public:
  explicit FailedWriter(const absl::Status& status) { this->Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

// Streams one blob in chunks; the first chunk carries the total size and sha256.
class ArtifactWriter final : public grpc::ServerWriteReactor<ArtifactChunk> {
 public:
  explicit ArtifactWriter(JobBlob blob) : blob_(std::move(blob)) { Next(); }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "download cancelled"));
      return;
    }
    Next();
  }
  void OnDone() override { delete this; }

 private:
  void Next() {
    if (offset_ >= blob_.data.size() && offset_ > 0) {
      Finish(grpc::Status::OK);
      return;
    }
    chunk_.Clear();
    chunk_.set_name(blob_.name);
    chunk_.set_offset(offset_);
    const size_t size = std::min(kArtifactChunkBytes, blob_.data.size() - offset_);
    chunk_.set_data(blob_.data.substr(offset_, size));
    if (offset_ == 0) {
      chunk_.set_total_size(blob_.data.size());
      chunk_.set_sha256(blob_.sha256);
    }
    // An empty blob is one empty first chunk.
    offset_ = std::max<size_t>(offset_ + size, 1);
    StartWrite(&chunk_);
  }

  const JobBlob blob_;
  size_t offset_ = 0;
  ArtifactChunk chunk_;
};

grpc::ServerUnaryReactor* Finished(grpc::CallbackServerContext* context,
                                   const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* JobServiceImpl::SubmitJob(grpc::CallbackServerContext* context,
                                                    const ptune::v1::SubmitJobRequest* request,
                                                    ptune::v1::SubmitJobResponse* response) {
  absl::StatusOr<Principal> principal = Authenticate(*auth_, *context);
  if (!principal.ok()) return Finished(context, principal.status());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  manager_->Submit(principal->caller, *request,
                   [reactor, response](absl::StatusOr<ptune::v1::SubmitJobResponse> result) {
                     if (result.ok()) *response = *std::move(result);
                     reactor->Finish(ToGrpcStatus(result.status()));
                   });
  return reactor;
}

grpc::ServerUnaryReactor* JobServiceImpl::GetJob(grpc::CallbackServerContext* context,
                                                 const ptune::v1::GetJobRequest* request,
                                                 ptune::v1::Job* response) {
  absl::StatusOr<Principal> principal = Authenticate(*auth_, *context);
  if (!principal.ok()) return Finished(context, principal.status());
  if (absl::Status s = ValidateJobId(request->job_id()); !s.ok()) return Finished(context, s);
  absl::StatusOr<ptune::v1::Job> job = manager_->Get(principal->caller, request->job_id());
  if (job.ok()) *response = *std::move(job);
  return Finished(context, job.status());
}

grpc::ServerUnaryReactor* JobServiceImpl::ListJobs(grpc::CallbackServerContext* context,
                                                   const ptune::v1::ListJobsRequest* request,
                                                   ptune::v1::ListJobsResponse* response) {
  absl::StatusOr<Principal> principal = Authenticate(*auth_, *context);
  if (!principal.ok()) return Finished(context, principal.status());
  absl::StatusOr<ptune::v1::ListJobsResponse> list = manager_->List(principal->caller, *request);
  if (list.ok()) *response = *std::move(list);
  return Finished(context, list.status());
}

grpc::ServerUnaryReactor* JobServiceImpl::CancelJob(grpc::CallbackServerContext* context,
                                                    const ptune::v1::CancelJobRequest* request,
                                                    ptune::v1::Job* response) {
  absl::StatusOr<Principal> principal = Authenticate(*auth_, *context);
  if (!principal.ok()) return Finished(context, principal.status());
  if (absl::Status s = ValidateJobId(request->job_id()); !s.ok()) return Finished(context, s);
  absl::StatusOr<ptune::v1::Job> job =
      manager_->Cancel(principal->caller, request->job_id(), request->reason());
  if (job.ok()) *response = *std::move(job);
  return Finished(context, job.status());
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* JobServiceImpl::WatchJob(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw_request) {
  return StartWatch(context, raw_request, /*batched=*/false);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* JobServiceImpl::WatchJobBatched(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw_request) {
  return StartWatch(context, raw_request, /*batched=*/true);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* JobServiceImpl::StartWatch(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw_request, bool batched) {
  using Failed = FailedWriter<grpc::ByteBuffer>;
  absl::StatusOr<Principal> principal = Authenticate(*auth_, *context);
  if (!principal.ok()) return new Failed(principal.status());
  ptune::v1::WatchJobRequest request;
  grpc::ByteBuffer copy(*raw_request);  // Deserialize consumes its buffer
  if (!grpc::SerializationTraits<ptune::v1::WatchJobRequest>::Deserialize(&copy, &request).ok()) {
    return new Failed(absl::InvalidArgumentError("malformed WatchJobRequest"));
  }
  if (absl::Status s = ValidateJobId(request.job_id()); !s.ok()) return new Failed(s);
  absl::StatusOr<ptune::v1::Job> job = manager_->Get(principal->caller, request.job_id());
  if (!job.ok()) return new Failed(job.status());
  return new WatchReactor(store_, hub_, metrics_, job->id(), request.after_seq(),
                          IsFinal(job->state()) && request.after_seq() >= job->last_seq(), batched);
}

grpc::ServerWriteReactor<ArtifactChunk>* JobServiceImpl::GetArtifact(
    grpc::CallbackServerContext* context, const ptune::v1::GetArtifactRequest* request) {
  absl::StatusOr<Principal> principal = Authenticate(*auth_, *context);
  if (!principal.ok()) return new FailedWriter<ArtifactChunk>(principal.status());
  absl::Status valid = ValidateJobId(request->job_id());
  if (valid.ok()) valid = ValidateArtifactName(request->name());
  if (!valid.ok()) return new FailedWriter<ArtifactChunk>(valid);
  absl::StatusOr<JobBlob> blob =
      manager_->GetBlob(principal->caller, request->job_id(), request->name());
  if (!blob.ok()) return new FailedWriter<ArtifactChunk>(blob.status());
  return new ArtifactWriter(*std::move(blob));
}

grpc::ServerUnaryReactor* JobServiceImpl::ListWorkers(grpc::CallbackServerContext* context,
                                                      const ptune::v1::ListWorkersRequest*,
                                                      ptune::v1::ListWorkersResponse* response) {
  absl::StatusOr<Principal> principal = Authenticate(*auth_, *context);
  if (!principal.ok()) return Finished(context, principal.status());
  *response = manager_->ListWorkers();
  if (!principal->caller.admin) {
    // Which jobs run where is the admin's business; tenants see capacity only.
    for (auto& worker : *response->mutable_workers()) worker.clear_job_ids();
  }
  return Finished(context, absl::OkStatus());
}

}  // namespace ptune::server
