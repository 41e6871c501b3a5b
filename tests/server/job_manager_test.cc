// The JobManager's state machine without gRPC, threads or sleeps: an in-memory store
// whose commits apply only when the test flushes it, in-memory worker links, and a
// clock the test moves to expire leases and re-send cancels.
#include "server/job_manager.h"

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/server/memory_job_store.h"

namespace ptune::server::testing {
namespace {

using ptune::v1::Job;
using ptune::v1::JobFinished;
using ptune::v1::SchedulerMessage;
using std::chrono::milliseconds;

constexpr milliseconds kLease{1000};
constexpr milliseconds kCancelRetry{100};

class FakeClock final : public Clock {
 public:
  TimePoint Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void Advance(milliseconds by) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += by;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_{};
};

class FakeLink final : public WorkerLink {
 public:
  void Send(const SchedulerMessage& message) override { sent_.push_back(message); }
  void Close(const absl::Status& status) override { closed_ = status; }
  // The messages of `kind` received since the last Take of that kind.
  std::vector<SchedulerMessage> Take(SchedulerMessage::KindCase kind) {
    std::vector<SchedulerMessage> taken, kept;
    for (SchedulerMessage& message : sent_) {
      (message.kind_case() == kind ? taken : kept).push_back(std::move(message));
    }
    sent_ = std::move(kept);
    return taken;
  }
  const std::optional<absl::Status>& closed() const { return closed_; }

 private:
  std::vector<SchedulerMessage> sent_;
  std::optional<absl::Status> closed_;
};

ptune::v1::JobSpec Spec(const std::string& name = "test") {
  ptune::v1::JobSpec spec;
  spec.set_name(name);
  spec.mutable_data()->set_dataset("uci-sentiment");
  return spec;
}

class JobManagerTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  // (Re)creates the manager on the same store: a scheduler restart.
  void Open() {
    manager_.reset();
    JobManagerOptions options;
    options.lease_timeout = kLease;
    options.cancel_retry = kCancelRetry;
    options.clock = &clock_;
    options.background_lease_checks = false;
    options.max_lost_leases = max_lost_leases_;
    auto manager = JobManager::Create(options, &store_, &hub_, &metrics_);
    ASSERT_TRUE(manager.ok()) << manager.status();
    manager_ = *std::move(manager);
  }

  absl::StatusOr<ptune::v1::SubmitJobResponse> Submit(const ptune::v1::SubmitJobRequest& request) {
    std::optional<absl::StatusOr<ptune::v1::SubmitJobResponse>> result;
    manager_->Submit(admin_, request, [&](auto response) { result = std::move(response); });
    if (!result) store_.Flush();  // acknowledged only once durable
    EXPECT_TRUE(result.has_value());
    return result ? *std::move(result) : absl::InternalError("no answer");
  }
  Job MustSubmit(const std::string& request_id, uint32_t max_attempts = 0) {
    ptune::v1::SubmitJobRequest request;
    request.set_request_id(request_id);
    *request.mutable_spec() = Spec();
    request.set_max_attempts(max_attempts);
    absl::StatusOr<ptune::v1::SubmitJobResponse> response = Submit(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->job() : Job();
  }
  Job Get(const std::string& job_id) {
    absl::StatusOr<Job> job = manager_->Get(admin_, job_id);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? *job : Job();
  }
  // Registers a worker on a new link, claiming `running` (job, attempt) pairs.
  FakeLink* Connect(const std::string& worker_id,
                    const std::vector<std::pair<std::string, uint32_t>>& running = {}) {
    links_.push_back(std::make_unique<FakeLink>());
    ptune::v1::Register request;
    request.set_worker_id(worker_id);
    for (const auto& [job_id, attempt] : running) {
      auto* claim = request.add_running();
      claim->set_job_id(job_id);
      claim->set_attempt(attempt);
    }
    EXPECT_TRUE(manager_->RegisterWorker(links_.back().get(), request).ok());
    store_.Flush();
    return links_.back().get();
  }
  void Send(FakeLink* link, const ptune::v1::WorkerMessage& message) {
    manager_->HandleWorkerMessage(link, message);
    store_.Flush();
  }
  void Finish(FakeLink* link, const Job& job, uint32_t attempt, JobFinished::Result result,
              uint64_t last_index = 0) {
    ptune::v1::WorkerMessage message;
    message.mutable_finished()->set_job_id(job.id());
    message.mutable_finished()->set_attempt(attempt);
    message.mutable_finished()->set_result(result);
    message.mutable_finished()->set_last_index(last_index);
    Send(link, message);
  }
  void ExpireLeases(milliseconds by = kLease + milliseconds(1)) {
    clock_.Advance(by);
    manager_->CheckLeases();
    store_.Flush();
  }

  const Caller admin_{"default", true};
  uint32_t max_lost_leases_ = 2;
  FakeClock clock_;
  MemoryJobStore store_;
  EventHub hub_;
  SchedulerMetrics metrics_;
  std::vector<std::unique_ptr<FakeLink>> links_;
  std::unique_ptr<JobManager> manager_;
};

std::vector<ptune::v1::JobState> States(const std::vector<ptune::v1::JobEvent>& events) {
  std::vector<ptune::v1::JobState> states;
  for (const auto& event : events) {
    if (event.has_state()) states.push_back(event.state().to());
  }
  return states;
}

TEST_F(JobManagerTest, SubmitDispatchFinish) {
  ptune::v1::SubmitJobRequest request;
  request.set_request_id("a");
  *request.mutable_spec() = Spec();
  bool answered = false;
  manager_->Submit(admin_, request, [&](auto) { answered = true; });
  EXPECT_FALSE(answered) << "answered before the job was durable";
  store_.Flush();
  ASSERT_TRUE(answered);
  Job job = Get("job-000001");
  EXPECT_EQ(job.state(), ptune::v1::JOB_STATE_QUEUED);

  FakeLink* link = Connect("w1");
  EXPECT_EQ(link->Take(SchedulerMessage::kRegistered).size(), 1u);
  std::vector<SchedulerMessage> assignments = link->Take(SchedulerMessage::kAssignment);
  ASSERT_EQ(assignments.size(), 1u);
  EXPECT_EQ(assignments[0].assignment().job_id(), job.id());
  EXPECT_EQ(assignments[0].assignment().attempt(), 1u);
  EXPECT_EQ(Get(job.id()).state(), ptune::v1::JOB_STATE_RUNNING);

  ptune::v1::WorkerMessage telemetry;
  telemetry.mutable_telemetry()->set_job_id(job.id());
  telemetry.mutable_telemetry()->set_attempt(1);
  telemetry.mutable_telemetry()->set_first_index(1);
  for (uint64_t step : {1, 2}) {
    telemetry.mutable_telemetry()->add_events()->mutable_step()->set_step(step);
  }
  manager_->HandleWorkerMessage(link, telemetry);
  EXPECT_TRUE(link->Take(SchedulerMessage::kTelemetryAck).empty()) << "acked before durable";
  store_.Flush();
  std::vector<SchedulerMessage> acks = link->Take(SchedulerMessage::kTelemetryAck);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].telemetry_ack().acked_index(), 2u);

  Finish(link, job, 1, JobFinished::RESULT_SUCCEEDED, 2);
  Job done = Get(job.id());
  EXPECT_EQ(done.state(), ptune::v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.step(), 2u);
  EXPECT_EQ(
      States(store_.Events(job.id())),
      (std::vector<ptune::v1::JobState>{ptune::v1::JOB_STATE_QUEUED, ptune::v1::JOB_STATE_RUNNING,
                                        ptune::v1::JOB_STATE_SUCCEEDED}));
  EXPECT_EQ(store_.Events(job.id()).size(), 5u);
  EXPECT_EQ(manager_->ListWorkers().workers(0).state(), ptune::v1::WORKER_STATE_IDLE);
}

TEST_F(JobManagerTest, FailedCommitIsNotAcknowledged) {
  store_.FailNextCommit();
  ptune::v1::SubmitJobRequest request;
  request.set_request_id("lost");
  *request.mutable_spec() = Spec();
  absl::StatusOr<ptune::v1::SubmitJobResponse> response = Submit(request);
  EXPECT_TRUE(absl::IsUnavailable(response.status())) << response.status();
  EXPECT_TRUE(absl::IsNotFound(manager_->Get(admin_, "job-000001").status()));
  // The request id is free again.
  EXPECT_EQ(MustSubmit("lost").id(), "job-000002");
}

TEST_F(JobManagerTest, RepeatedRequestIdNeedsTheSameSpec) {
  Job job = MustSubmit("r");
  ptune::v1::SubmitJobRequest same;
  same.set_request_id("r");
  *same.mutable_spec() = Spec();
  absl::StatusOr<ptune::v1::SubmitJobResponse> repeat = Submit(same);
  ASSERT_TRUE(repeat.ok());
  EXPECT_TRUE(repeat->existing());
  EXPECT_EQ(repeat->job().id(), job.id());
  ptune::v1::SubmitJobRequest other = same;
  *other.mutable_spec() = Spec("other");
  EXPECT_TRUE(absl::IsAlreadyExists(Submit(other).status()));
}

TEST_F(JobManagerTest, LeaseExpiryRequeuesAndHeartbeatsRenewIt) {
  Job job = MustSubmit("lease");
  FakeLink* first = Connect("w1");
  ASSERT_EQ(first->Take(SchedulerMessage::kAssignment).size(), 1u);
  // Any message renews the lease.
  clock_.Advance(kLease - milliseconds(100));
  ptune::v1::WorkerMessage heartbeat;
  heartbeat.mutable_heartbeat();
  Send(first, heartbeat);
  ExpireLeases(kLease);  // exactly the lease since the heartbeat: not expired yet
  EXPECT_EQ(Get(job.id()).state(), ptune::v1::JOB_STATE_RUNNING);
  EXPECT_FALSE(first->closed().has_value());

  ExpireLeases(milliseconds(1));
  ASSERT_TRUE(first->closed().has_value());
  EXPECT_TRUE(absl::IsDeadlineExceeded(*first->closed()));
  Job queued = Get(job.id());
  EXPECT_EQ(queued.state(), ptune::v1::JOB_STATE_QUEUED);
  EXPECT_EQ(queued.attempt(), 2u);
  EXPECT_NE(queued.state_reason().find("lost"), std::string::npos) << queued.state_reason();

  FakeLink* second = Connect("w2");
  std::vector<SchedulerMessage> assignments = second->Take(SchedulerMessage::kAssignment);
  ASSERT_EQ(assignments.size(), 1u);
  EXPECT_EQ(assignments[0].assignment().attempt(), 2u);
  // The dead link's late messages are ignored.
  Finish(first, job, 1, JobFinished::RESULT_SUCCEEDED);
  EXPECT_EQ(Get(job.id()).state(), ptune::v1::JOB_STATE_RUNNING);
}

TEST_F(JobManagerTest, CancelQueuedIsImmediateAndFinishedIsFailedPrecondition) {
  Job job = MustSubmit("q");
  absl::StatusOr<Job> cancelled = manager_->Cancel(admin_, job.id(), "not needed");
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state(), ptune::v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(cancelled->state_reason(), "not needed");
  store_.Flush();
  EXPECT_TRUE(absl::IsFailedPrecondition(manager_->Cancel(admin_, job.id(), "").status()));
  // Nothing is dispatched for it.
  FakeLink* link = Connect("w1");
  EXPECT_TRUE(link->Take(SchedulerMessage::kAssignment).empty());
}

TEST_F(JobManagerTest, CancelRunningIsResentUntilAckedAndKeepsItsReasonOverARestart) {
  Job job = MustSubmit("run");
  FakeLink* link = Connect("w1");
  ASSERT_EQ(link->Take(SchedulerMessage::kAssignment).size(), 1u);
  absl::StatusOr<Job> cancelling = manager_->Cancel(admin_, job.id(), "cancelling: tricky");
  ASSERT_TRUE(cancelling.ok());
  EXPECT_EQ(cancelling->state(), ptune::v1::JOB_STATE_RUNNING);
  store_.Flush();
  std::vector<SchedulerMessage> cancels = link->Take(SchedulerMessage::kCancel);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].cancel().reason(), "cancelling: tricky");
  ExpireLeases(kCancelRetry + milliseconds(1));  // below the lease: only the re-send
  EXPECT_EQ(link->Take(SchedulerMessage::kCancel).size(), 1u);

  // The scheduler restarts before the ack; the worker reconnects with the job.
  Open();
  FakeLink* back = Connect("w1", {{job.id(), 1}});
  ASSERT_EQ(back->Take(SchedulerMessage::kCancel).size(), 1u);
  ptune::v1::WorkerMessage ack;
  ack.mutable_cancel_ack()->set_job_id(job.id());
  Send(back, ack);
  Job done = Get(job.id());
  EXPECT_EQ(done.state(), ptune::v1::JOB_STATE_CANCELLED);
  // The reason is the one given, not parsed back out of "cancelling: ...".
  EXPECT_EQ(done.state_reason(), "cancelling: tricky");
}

TEST_F(JobManagerTest, CancelRunningOnADeadWorkerCancels) {
  Job job = MustSubmit("dead");
  Connect("w1");
  ASSERT_TRUE(manager_->Cancel(admin_, job.id(), "stop").ok());
  store_.Flush();
  ExpireLeases();
  Job done = Get(job.id());
  EXPECT_EQ(done.state(), ptune::v1::JOB_STATE_CANCELLED);
  EXPECT_NE(done.state_reason().find("the cancel was pending"), std::string::npos);
}

TEST_F(JobManagerTest, PreemptionsStopAtMaxAttempts) {
  Job job = MustSubmit("pre", 2);
  FakeLink* link = Connect("w1");
  for (uint32_t attempt = 1; attempt <= 2; ++attempt) {
    std::vector<SchedulerMessage> assignments = link->Take(SchedulerMessage::kAssignment);
    ASSERT_EQ(assignments.size(), 1u);
    EXPECT_EQ(assignments[0].assignment().attempt(), attempt);
    Finish(link, job, attempt, JobFinished::RESULT_PREEMPTED);
  }
  Job failed = Get(job.id());
  EXPECT_EQ(failed.state(), ptune::v1::JOB_STATE_FAILED);
  EXPECT_NE(failed.state_reason().find("after 2 attempts"), std::string::npos);
}

TEST_F(JobManagerTest, LostLeasesStopAtTheirLimitBeforeMaxAttempts) {
  Job job = MustSubmit("killer", 5);
  for (uint32_t attempt = 1; attempt <= 2; ++attempt) {
    FakeLink* link = Connect("w" + std::to_string(attempt));
    ASSERT_EQ(link->Take(SchedulerMessage::kAssignment).size(), 1u);
    ExpireLeases();
  }
  Job failed = Get(job.id());
  EXPECT_EQ(failed.state(), ptune::v1::JOB_STATE_FAILED);
  EXPECT_EQ(failed.attempt(), 2u);
  EXPECT_NE(failed.state_reason().find("lost its worker 2 times"), std::string::npos)
      << failed.state_reason();
}

TEST_F(JobManagerTest, AWorkerBackWithoutItsJobCountsAsALostLease) {
  max_lost_leases_ = 1;
  Open();
  Job job = MustSubmit("restarted");
  FakeLink* link = Connect("w1");
  ASSERT_EQ(link->Take(SchedulerMessage::kAssignment).size(), 1u);
  Connect("w1");  // the worker process restarted: it runs nothing
  EXPECT_TRUE(link->closed().has_value()) << "the older link is replaced";
  EXPECT_EQ(Get(job.id()).state(), ptune::v1::JOB_STATE_FAILED);
}

TEST_F(JobManagerTest, NoLostLeaseLimitFallsBackToMaxAttempts) {
  max_lost_leases_ = 0;
  Open();
  Job job = MustSubmit("patient", 3);
  for (uint32_t attempt = 1; attempt <= 3; ++attempt) {
    FakeLink* link = Connect("w" + std::to_string(attempt));
    ASSERT_EQ(link->Take(SchedulerMessage::kAssignment).size(), 1u);
    ExpireLeases();
  }
  Job failed = Get(job.id());
  EXPECT_EQ(failed.state(), ptune::v1::JOB_STATE_FAILED);
  EXPECT_NE(failed.state_reason().find("after 3 attempts"), std::string::npos);
}

}  // namespace
}  // namespace ptune::server::testing
