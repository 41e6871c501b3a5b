#include "client/ptune_client.h"

#include <random>
#include <thread>

#include "absl/strings/str_format.h"

namespace ptune::client {

namespace v1 = ::ptune::v1;

std::string NewRequestId() {
  std::random_device device;
  std::mt19937_64 random(
      (static_cast<uint64_t>(device()) << 32) ^ device() ^
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  uint64_t high = random();
  uint64_t low = random();
  high = (high & ~0xF000ull) | 0x4000ull;                // version 4
  low = (low & ~(0xC000ull << 48)) | (0x8000ull << 48);  // RFC 4122 variant
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", high >> 32, (high >> 16) & 0xFFFF,
                         high & 0xFFFF, low >> 48, low & 0xFFFFFFFFFFFFull);
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(const ConnectOptions& options) {
  absl::StatusOr<std::unique_ptr<Connection>> connection = Connection::Create(options);
  if (!connection.ok()) return connection.status();
  return std::unique_ptr<Client>(new Client(*std::move(connection)));
}

Client::Client(std::unique_ptr<Connection> connection)
    : connection_(std::move(connection)), stub_(v1::JobService::NewStub(connection_->channel())) {}

absl::Status Client::CallWithRetry(const std::function<grpc::Status(grpc::ClientContext*)>& call) {
  const ConnectOptions& options = connection_->options();
  std::chrono::milliseconds backoff = options.initial_backoff;
  grpc::Status status;
  for (int attempt = 1;; ++attempt) {
    grpc::ClientContext context;
    connection_->Prepare(&context, options.call_timeout);
    status = call(&context);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE || attempt >= options.max_attempts) {
      break;
    }
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
  return FromGrpc(status, options.address);
}

absl::StatusOr<v1::SubmitJobResponse> Client::Submit(const SubmitOptions& options) {
  v1::SubmitJobRequest request;
  request.set_request_id(options.request_id.empty() ? NewRequestId() : options.request_id);
  *request.mutable_spec() = options.spec;
  request.set_priority(options.priority);
  request.mutable_labels()->insert(options.labels.begin(), options.labels.end());
  request.set_max_attempts(options.max_attempts);
  v1::SubmitJobResponse response;
  absl::Status status = CallWithRetry(
      [&](grpc::ClientContext* c) { return stub_->SubmitJob(c, request, &response); });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::Job> Client::Get(const std::string& job_id) {
  v1::GetJobRequest request;
  request.set_job_id(job_id);
  v1::Job job;
  absl::Status status =
      CallWithRetry([&](grpc::ClientContext* c) { return stub_->GetJob(c, request, &job); });
  if (!status.ok()) return status;
  return job;
}

absl::Status Client::List(const ListFilter& filter,
                          const std::function<bool(const v1::Job&)>& each) {
  v1::ListJobsRequest request;
  for (v1::JobState state : filter.states) request.add_states(state);
  request.mutable_labels()->insert(filter.labels.begin(), filter.labels.end());
  request.set_page_size(filter.page_size);
  while (true) {
    v1::ListJobsResponse response;
    absl::Status status = CallWithRetry(
        [&](grpc::ClientContext* c) { return stub_->ListJobs(c, request, &response); });
    if (!status.ok()) return status;
    for (const v1::Job& job : response.jobs()) {
      if (!each(job)) return absl::OkStatus();
    }
    if (response.next_page_token().empty()) return absl::OkStatus();
    request.set_page_token(response.next_page_token());
  }
}

absl::StatusOr<v1::Job> Client::Cancel(const std::string& job_id, const std::string& reason) {
  v1::CancelJobRequest request;
  request.set_job_id(job_id);
  request.set_reason(reason);
  v1::Job job;
  bool retried = false;
  absl::Status status = CallWithRetry([&](grpc::ClientContext* c) {
    grpc::Status s = stub_->CancelJob(c, request, &job);
    retried = retried || s.error_code() == grpc::StatusCode::UNAVAILABLE;
    return s;
  });
  if (status.code() == absl::StatusCode::kFailedPrecondition && retried) {
    // An attempt whose answer was lost may have cancelled it already.
    absl::StatusOr<v1::Job> now = Get(job_id);
    if (now.ok() && now->state() == v1::JOB_STATE_CANCELLED) return now;
  }
  if (!status.ok()) return status;
  return job;
}

absl::StatusOr<std::vector<v1::WorkerInfo>> Client::ListWorkers() {
  v1::ListWorkersResponse response;
  absl::Status status = CallWithRetry([&](grpc::ClientContext* c) {
    return stub_->ListWorkers(c, v1::ListWorkersRequest(), &response);
  });
  if (!status.ok()) return status;
  return std::vector<v1::WorkerInfo>(response.workers().begin(), response.workers().end());
}

}  // namespace ptune::client
