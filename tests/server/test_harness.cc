#include "tests/server/test_harness.h"

#include <gtest/gtest.h>

namespace ptune::server::testing {

using ptune::v1::SchedulerMessage;
using ptune::v1::WorkerMessage;

SchedulerOptions TestOptions(const std::string& dir) {
  SchedulerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.store_path = dir + "/ptune.db";
  options.manager.lease_timeout = std::chrono::milliseconds(400);
  options.manager.heartbeat_interval = std::chrono::milliseconds(100);
  options.manager.cancel_retry = std::chrono::milliseconds(100);
  options.shutdown_grace = std::chrono::milliseconds(200);
  return options;
}

ptune::v1::JobSpec TestSpec() {
  ptune::v1::JobSpec spec;
  spec.set_name("test");
  spec.mutable_data()->set_dataset("uci-sentiment");
  return spec;
}

ptune::v1::JobEvent StepEvent(uint64_t step, double loss) {
  ptune::v1::JobEvent event;
  event.mutable_step()->set_step(step);
  event.mutable_step()->set_total_steps(100);
  event.mutable_step()->set_loss(loss);
  return event;
}

void SchedulerTest::Start(const SchedulerOptions& options) {
  client_.reset();
  server_.reset();
  auto server = SchedulerServer::Create(options);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  client_ = std::make_unique<Client>(server_->port());
}

// ---------------------------------------------------------------------------------------

Client::Client(std::shared_ptr<grpc::Channel> channel, std::string token)
    : token_(std::move(token)), stub_(ptune::v1::JobService::NewStub(channel)) {}

Client::Client(int port, std::string token)
    : Client(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                 grpc::InsecureChannelCredentials()),
             std::move(token)) {}

void Client::Prepare(grpc::ClientContext* context) const {
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  if (!token_.empty()) context->AddMetadata("authorization", "Bearer " + token_);
}

grpc::Status Client::Submit(const ptune::v1::SubmitJobRequest& request,
                            ptune::v1::SubmitJobResponse* response) {
  grpc::ClientContext context;
  Prepare(&context);
  return stub_->SubmitJob(&context, request, response);
}

ptune::v1::Job Client::MustSubmit(const std::string& request_id, int32_t priority) {
  ptune::v1::SubmitJobRequest request;
  request.set_request_id(request_id);
  *request.mutable_spec() = TestSpec();
  request.set_priority(priority);
  ptune::v1::SubmitJobResponse response;
  grpc::Status status = Submit(request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.job();
}

grpc::Status Client::Get(const std::string& job_id, ptune::v1::Job* job) {
  grpc::ClientContext context;
  Prepare(&context);
  ptune::v1::GetJobRequest request;
  request.set_job_id(job_id);
  return stub_->GetJob(&context, request, job);
}

ptune::v1::Job Client::MustGet(const std::string& job_id) {
  ptune::v1::Job job;
  grpc::Status status = Get(job_id, &job);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return job;
}

grpc::Status Client::List(const ptune::v1::ListJobsRequest& request,
                          ptune::v1::ListJobsResponse* response) {
  grpc::ClientContext context;
  Prepare(&context);
  return stub_->ListJobs(&context, request, response);
}

grpc::Status Client::Cancel(const std::string& job_id, ptune::v1::Job* job) {
  grpc::ClientContext context;
  Prepare(&context);
  ptune::v1::CancelJobRequest request;
  request.set_job_id(job_id);
  request.set_reason("test cancel");
  return stub_->CancelJob(&context, request, job);
}

grpc::Status Client::Watch(const std::string& job_id, uint64_t after_seq,
                           std::vector<ptune::v1::JobEvent>* events, size_t max_events) {
  grpc::ClientContext context;
  Prepare(&context);
  ptune::v1::WatchJobRequest request;
  request.set_job_id(job_id);
  request.set_after_seq(after_seq);
  auto reader = stub_->WatchJob(&context, request);
  ptune::v1::JobEvent event;
  while (events->size() < max_events && reader->Read(&event)) events->push_back(event);
  if (events->size() >= max_events) {
    context.TryCancel();
    reader->Finish().IgnoreError();
    return grpc::Status::OK;
  }
  return reader->Finish();
}

grpc::Status Client::WatchBatched(const std::string& job_id, uint64_t after_seq,
                                  std::vector<ptune::v1::JobEvent>* events, size_t max_events,
                                  size_t* batches) {
  grpc::ClientContext context;
  Prepare(&context);
  ptune::v1::WatchJobRequest request;
  request.set_job_id(job_id);
  request.set_after_seq(after_seq);
  auto reader = stub_->WatchJobBatched(&context, request);
  ptune::v1::JobEventBatch batch;
  size_t count = 0;
  while (events->size() < max_events && reader->Read(&batch)) {
    ++count;
    EXPECT_GT(batch.events_size(), 0) << "empty batch";
    for (const ptune::v1::JobEvent& event : batch.events()) events->push_back(event);
  }
  if (batches != nullptr) *batches = count;
  if (events->size() >= max_events) {
    context.TryCancel();
    reader->Finish().IgnoreError();
    return grpc::Status::OK;
  }
  return reader->Finish();
}

grpc::Status Client::Download(const std::string& job_id, const std::string& name,
                              std::string* data) {
  grpc::ClientContext context;
  Prepare(&context);
  ptune::v1::GetArtifactRequest request;
  request.set_job_id(job_id);
  request.set_name(name);
  auto reader = stub_->GetArtifact(&context, request);
  ptune::v1::ArtifactChunk chunk;
  data->clear();
  while (reader->Read(&chunk)) {
    EXPECT_EQ(chunk.offset(), data->size());
    *data += chunk.data();
  }
  return reader->Finish();
}

ptune::v1::Job Client::WaitFor(const std::string& job_id,
                               const std::function<bool(const ptune::v1::Job&)>& predicate) {
  ptune::v1::Job job;
  for (int i = 0; i < 1000; ++i) {
    job = MustGet(job_id);
    if (predicate(job)) return job;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "condition never held for job " << job_id << ": " << job.ShortDebugString();
  return job;
}

// ---------------------------------------------------------------------------------------

FakeWorker::FakeWorker(int port, std::string worker_id, std::string token)
    : FakeWorker(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                     grpc::InsecureChannelCredentials()),
                 std::move(worker_id), std::move(token)) {}

FakeWorker::FakeWorker(std::shared_ptr<grpc::Channel> channel, std::string worker_id,
                       std::string token)
    : channel_(std::move(channel)),
      worker_id_(std::move(worker_id)),
      token_(std::move(token)),
      stub_(ptune::v1::WorkerService::NewStub(channel_)) {}

FakeWorker::~FakeWorker() { Crash(); }

bool FakeWorker::Connect(const std::vector<ptune::v1::RunningJob>& running,
                         const ptune::v1::Register& base) {
  Crash();
  {
    std::lock_guard<std::mutex> lock(mu_);
    received_.clear();
    ended_ = false;
  }
  context_ = std::make_unique<grpc::ClientContext>();
  if (!token_.empty()) context_->AddMetadata("authorization", "Bearer " + token_);
  stream_ = stub_->Connect(context_.get());
  reader_ = std::thread([this] { ReadLoop(); });
  WorkerMessage message;
  ptune::v1::Register& reg = *message.mutable_register_();
  reg = base;
  reg.set_worker_id(worker_id_);
  reg.set_hostname("test-host");
  reg.set_version("test");
  if (reg.devices_size() == 0) reg.add_devices()->set_kind(ptune::v1::DEVICE_KIND_CPU);
  for (const auto& job : running) *reg.add_running() = job;
  Send(message);
  connected_ = true;
  heartbeat_ = std::thread([this] {
    while (connected_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (connected_ && heartbeats_) Heartbeat();
    }
  });
  return Expect(SchedulerMessage::kRegistered, std::chrono::seconds(5)).has_value();
}

void FakeWorker::Crash() {
  connected_ = false;
  if (heartbeat_.joinable()) heartbeat_.join();
  if (context_ != nullptr) context_->TryCancel();
  if (reader_.joinable()) reader_.join();
  stream_.reset();
  context_.reset();
}

grpc::Status FakeWorker::status() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::seconds(5), [&] { return ended_; });
  return status_;
}

void FakeWorker::ReadLoop() {
  SchedulerMessage message;
  while (stream_->Read(&message)) {
    std::lock_guard<std::mutex> lock(mu_);
    received_.push_back(message);
    cv_.notify_all();
  }
  grpc::Status status = stream_->Finish();
  std::lock_guard<std::mutex> lock(mu_);
  status_ = status;
  ended_ = true;
  cv_.notify_all();
}

void FakeWorker::Send(const WorkerMessage& message) {
  std::lock_guard<std::mutex> lock(write_mu_);
  if (stream_ != nullptr) stream_->Write(message);
}

void FakeWorker::Heartbeat() {
  WorkerMessage message;
  message.mutable_heartbeat();
  Send(message);
}

void FakeWorker::Telemetry(const std::string& job_id, uint32_t attempt, uint64_t first_index,
                           const std::vector<ptune::v1::JobEvent>& events) {
  WorkerMessage message;
  auto* batch = message.mutable_telemetry();
  batch->set_job_id(job_id);
  batch->set_attempt(attempt);
  batch->set_first_index(first_index);
  for (const auto& event : events) *batch->add_events() = event;
  Send(message);
}

void FakeWorker::Checkpoint(const std::string& job_id, uint32_t attempt, uint64_t step,
                            const std::string& data, size_t chunk) {
  for (size_t offset = 0; offset == 0 || offset < data.size(); offset += chunk) {
    WorkerMessage message;
    auto* upload = message.mutable_checkpoint();
    upload->set_job_id(job_id);
    upload->set_attempt(attempt);
    upload->set_step(step);
    upload->set_offset(offset);
    upload->set_data(data.substr(offset, chunk));
    upload->set_last(offset + chunk >= data.size());
    Send(message);
  }
}

void FakeWorker::Artifact(const std::string& job_id, uint32_t attempt, const std::string& name,
                          const std::string& data) {
  WorkerMessage message;
  auto* upload = message.mutable_artifact();
  upload->set_job_id(job_id);
  upload->set_attempt(attempt);
  upload->set_name(name);
  upload->set_data(data);
  upload->set_last(true);
  Send(message);
}

void FakeWorker::Finish(const std::string& job_id, uint32_t attempt,
                        ptune::v1::JobFinished::Result result, uint64_t last_index,
                        const std::string& reason) {
  WorkerMessage message;
  auto* finished = message.mutable_finished();
  finished->set_job_id(job_id);
  finished->set_attempt(attempt);
  finished->set_result(result);
  finished->set_last_index(last_index);
  finished->set_reason(reason);
  (*finished->mutable_final_metrics())["accuracy"] = 0.9;
  Send(message);
}

void FakeWorker::CancelAck(const std::string& job_id) {
  WorkerMessage message;
  message.mutable_cancel_ack()->set_job_id(job_id);
  Send(message);
}

std::optional<SchedulerMessage> FakeWorker::Expect(SchedulerMessage::KindCase kind,
                                                   std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  std::optional<SchedulerMessage> found;
  cv_.wait_for(lock, timeout, [&] {
    for (auto it = received_.begin(); it != received_.end(); ++it) {
      if (it->kind_case() == kind) {
        found = *it;
        received_.erase(it);
        return true;
      }
    }
    return ended_;
  });
  return found;
}

bool FakeWorker::ExpectAck(const std::string& job_id, uint64_t index) {
  for (;;) {
    std::optional<SchedulerMessage> ack = Expect(SchedulerMessage::kTelemetryAck);
    if (!ack) return false;
    if (ack->telemetry_ack().job_id() == job_id && ack->telemetry_ack().acked_index() >= index) {
      return true;
    }
  }
}

bool FakeWorker::None(SchedulerMessage::KindCase kind, std::chrono::milliseconds wait) {
  return !Expect(kind, wait).has_value();
}

}  // namespace ptune::server::testing
