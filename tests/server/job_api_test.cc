// The job API over real gRPC on loopback with a real SQLite file.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "tests/server/test_harness.h"

namespace ptune::server::testing {
namespace {

using ptune::v1::Job;
using ptune::v1::ListJobsRequest;
using ptune::v1::ListJobsResponse;
using ptune::v1::SubmitJobRequest;
using ptune::v1::SubmitJobResponse;

class JobApiTest : public SchedulerTest {
 protected:
  SubmitJobRequest Request(const std::string& id) {
    SubmitJobRequest request;
    request.set_request_id(id);
    *request.mutable_spec() = TestSpec();
    return request;
  }
  // Submits and returns the status; the message must name `field`.
  void ExpectInvalid(const SubmitJobRequest& request, const std::string& field) {
    SubmitJobResponse response;
    grpc::Status status = client_->Submit(request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_EQ(status.error_message().rfind(field + ": ", 0), 0u) << status.error_message();
  }
};

TEST_F(JobApiTest, SubmitIsIdempotentOnRequestId) {
  SubmitJobResponse first, second;
  ASSERT_TRUE(client_->Submit(Request("r-1"), &first).ok());
  EXPECT_FALSE(first.existing());
  EXPECT_EQ(first.job().state(), ptune::v1::JOB_STATE_QUEUED);
  EXPECT_EQ(first.job().attempt(), 1u);
  ASSERT_TRUE(client_->Submit(Request("r-1"), &second).ok());
  EXPECT_TRUE(second.existing());
  EXPECT_EQ(second.job().id(), first.job().id());
  ListJobsResponse list;
  ASSERT_TRUE(client_->List(ListJobsRequest(), &list).ok());
  EXPECT_EQ(list.jobs_size(), 1);
}

// Issue 14 #3: an idempotency key names one request. Another spec under a used
// request_id is refused (also after a restart); the same spec still answers the job.
TEST_F(JobApiTest, ReusedRequestIdWithAnotherSpecIsAlreadyExists) {
  SubmitJobRequest request = Request("reused");
  (*request.mutable_spec()->mutable_resources()->mutable_worker_labels())["a"] = "1";
  (*request.mutable_spec()->mutable_resources()->mutable_worker_labels())["b"] = "2";
  SubmitJobResponse first;
  ASSERT_TRUE(client_->Submit(request, &first).ok());
  SubmitJobRequest other = request;
  other.mutable_spec()->set_name("another");
  for (int run = 0; run < 2; ++run) {
    SubmitJobResponse response;
    grpc::Status status = client_->Submit(other, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << status.error_message();
    EXPECT_EQ(status.error_message().rfind("request_id: \"reused\"", 0), 0u)
        << status.error_message();
    EXPECT_NE(status.error_message().find(first.job().id()), std::string::npos);
    // The same spec, its map filled in another order, is the same request.
    SubmitJobRequest same = Request("reused");
    (*same.mutable_spec()->mutable_resources()->mutable_worker_labels())["b"] = "2";
    (*same.mutable_spec()->mutable_resources()->mutable_worker_labels())["a"] = "1";
    ASSERT_TRUE(client_->Submit(same, &response).ok());
    EXPECT_TRUE(response.existing());
    EXPECT_EQ(response.job().id(), first.job().id());
    Start(TestOptions(dir_.path()));
  }
}

TEST_F(JobApiTest, ConcurrentRepeatsCreateOneJob) {
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      SubmitJobResponse response;
      ASSERT_TRUE(client_->Submit(Request("same"), &response).ok());
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(response.job().id());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ids.size(), 1u);
}

TEST_F(JobApiTest, SubmitIsDurableAcrossRestart) {
  Job job = client_->MustSubmit("durable");
  Start(TestOptions(dir_.path()));
  Job again = client_->MustGet(job.id());
  EXPECT_EQ(again.state(), ptune::v1::JOB_STATE_QUEUED);
  EXPECT_EQ(again.request_id(), "durable");
  SubmitJobResponse repeat;
  ASSERT_TRUE(client_->Submit(Request("durable"), &repeat).ok());
  EXPECT_TRUE(repeat.existing());
  EXPECT_EQ(repeat.job().id(), job.id());
}

TEST_F(JobApiTest, ValidationNamesTheField) {
  ExpectInvalid(Request(""), "request_id");
  ExpectInvalid(Request("has space"), "request_id");
  ExpectInvalid(Request(std::string(200, 'a')), "request_id");
  SubmitJobRequest request = Request("p");
  request.set_priority(5000);
  ExpectInvalid(request, "priority");
  request = Request("m");
  request.set_max_attempts(1000);
  ExpectInvalid(request, "max_attempts");
  request = Request("l");
  (*request.mutable_labels())["Bad Key"] = "v";
  ExpectInvalid(request, "labels[\"Bad Key\"]");
  request = Request("v");
  (*request.mutable_labels())["ok"] = std::string(300, 'x');
  ExpectInvalid(request, "labels[\"ok\"]");
  request = Request("n");
  for (int i = 0; i < 70; ++i) (*request.mutable_labels())["k" + std::to_string(i)] = "v";
  ExpectInvalid(request, "labels");
  request = Request("s");
  request.clear_spec();
  ExpectInvalid(request, "spec");
  request = Request("t");
  request.mutable_spec()->mutable_data()->set_train_file("train.jsonl");
  SubmitJobResponse response;
  grpc::Status status = client_->Submit(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("spec.data.dataset: "), std::string::npos)
      << status.error_message();
  // Nothing invalid was stored.
  ListJobsResponse list;
  ASSERT_TRUE(client_->List(ListJobsRequest(), &list).ok());
  EXPECT_EQ(list.jobs_size(), 0);
}

TEST_F(JobApiTest, QueueQuotaIsResourceExhausted) {
  SchedulerOptions options = TestOptions(dir_.path());
  options.manager.queue.max_queued_per_tenant = 2;
  Start(options);
  client_->MustSubmit("q1");
  client_->MustSubmit("q2");
  SubmitJobResponse response;
  EXPECT_EQ(client_->Submit(Request("q3"), &response).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  // A repeat of an accepted request still answers.
  EXPECT_TRUE(client_->Submit(Request("q1"), &response).ok());
}

TEST_F(JobApiTest, ListPagesNewestFirstWithoutGapsOrRepeats) {
  std::vector<std::string> submitted;
  for (int i = 0; i < 7; ++i) {
    SubmitJobRequest request = Request("page-" + std::to_string(i));
    (*request.mutable_labels())["parity"] = i % 2 ? "odd" : "even";
    SubmitJobResponse response;
    ASSERT_TRUE(client_->Submit(request, &response).ok());
    submitted.push_back(response.job().id());
  }
  ListJobsRequest request;
  request.set_page_size(3);
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    ListJobsResponse response;
    ASSERT_TRUE(client_->List(request, &response).ok());
    for (const Job& job : response.jobs()) seen.push_back(job.id());
    // A job submitted between pages must not shift the pages already listed.
    if (page == 0) client_->MustSubmit("late");
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  std::vector<std::string> expected(submitted.rbegin(), submitted.rend());
  EXPECT_EQ(seen, expected);

  ListJobsRequest filtered;
  (*filtered.mutable_labels())["parity"] = "odd";
  ListJobsResponse odd;
  ASSERT_TRUE(client_->List(filtered, &odd).ok());
  EXPECT_EQ(odd.jobs_size(), 3);
  ListJobsRequest by_state;
  by_state.add_states(ptune::v1::JOB_STATE_SUCCEEDED);
  ListJobsResponse none;
  ASSERT_TRUE(client_->List(by_state, &none).ok());
  EXPECT_EQ(none.jobs_size(), 0);

  ListJobsRequest bad;
  bad.set_page_token("garbage");
  ListJobsResponse ignored;
  EXPECT_EQ(client_->List(bad, &ignored).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_page_token("");
  bad.set_page_size(-1);
  EXPECT_EQ(client_->List(bad, &ignored).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(JobApiTest, CancelQueuedAtOnceAndFinishedIsFailedPrecondition) {
  Job job = client_->MustSubmit("c1");
  Job cancelled;
  ASSERT_TRUE(client_->Cancel(job.id(), &cancelled).ok());
  EXPECT_EQ(cancelled.state(), ptune::v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(client_->Cancel(job.id(), &cancelled).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(client_->Cancel("job-999999", &cancelled).error_code(), grpc::StatusCode::NOT_FOUND);
  Job missing;
  EXPECT_EQ(client_->Get("nope", &missing).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(JobApiTest, CancelRunningGoesThroughTheWorker) {
  Job job = client_->MustSubmit("c2");
  FakeWorker worker(server_->port(), "w1");
  ASSERT_TRUE(worker.Connect());
  ASSERT_TRUE(worker.Expect(ptune::v1::SchedulerMessage::kAssignment));
  Job running = client_->WaitFor(
      job.id(), [](const Job& j) { return j.state() == ptune::v1::JOB_STATE_RUNNING; });
  Job response;
  ASSERT_TRUE(client_->Cancel(job.id(), &response).ok());
  EXPECT_EQ(response.state(), ptune::v1::JOB_STATE_RUNNING);
  // Not acknowledged: the cancel is re-sent.
  ASSERT_TRUE(worker.Expect(ptune::v1::SchedulerMessage::kCancel));
  ASSERT_TRUE(worker.Expect(ptune::v1::SchedulerMessage::kCancel));
  worker.CancelAck(job.id());
  Job done = client_->WaitFor(
      job.id(), [](const Job& j) { return j.state() == ptune::v1::JOB_STATE_CANCELLED; });
  EXPECT_EQ(done.state_reason(), "test cancel");
}

TEST_F(JobApiTest, CancelRunningOnDeadWorkerCancels) {
  Job job = client_->MustSubmit("c3");
  FakeWorker worker(server_->port(), "w1");
  ASSERT_TRUE(worker.Connect());
  ASSERT_TRUE(worker.Expect(ptune::v1::SchedulerMessage::kAssignment));
  client_->WaitFor(job.id(),
                   [](const Job& j) { return j.state() == ptune::v1::JOB_STATE_RUNNING; });
  worker.Crash();
  Job response;
  ASSERT_TRUE(client_->Cancel(job.id(), &response).ok());
  Job done = client_->WaitFor(
      job.id(), [](const Job& j) { return j.state() == ptune::v1::JOB_STATE_CANCELLED; });
  EXPECT_NE(done.state_reason().find("lost"), std::string::npos) << done.state_reason();
}

TEST_F(JobApiTest, ListWorkersShowsCapabilitiesAndJobs) {
  FakeWorker worker(server_->port(), "w-list");
  ptune::v1::Register base;
  auto* gpu = base.add_devices();
  gpu->set_kind(ptune::v1::DEVICE_KIND_CUDA);
  gpu->set_total_memory_bytes(16ull << 30);
  ASSERT_TRUE(worker.Connect({}, base));
  Job job = client_->MustSubmit("lw");
  ASSERT_TRUE(worker.Expect(ptune::v1::SchedulerMessage::kAssignment));
  grpc::ClientContext context;
  client_->Prepare(&context);
  ptune::v1::ListWorkersResponse response;
  ASSERT_TRUE(client_->stub()->ListWorkers(&context, {}, &response).ok());
  ASSERT_EQ(response.workers_size(), 1);
  EXPECT_EQ(response.workers(0).worker_id(), "w-list");
  EXPECT_EQ(response.workers(0).devices(0).kind(), ptune::v1::DEVICE_KIND_CUDA);
  EXPECT_EQ(response.workers(0).state(), ptune::v1::WORKER_STATE_BUSY);
  ASSERT_EQ(response.workers(0).job_ids_size(), 1);
  EXPECT_EQ(response.workers(0).job_ids(0), job.id());
}

}  // namespace
}  // namespace ptune::server::testing
