// WatchJob: replay from the store, live follow, resume with no gap or duplicate, slow
// watchers that neither block nor lose events.
#include <gtest/gtest.h>

#include <thread>

#include "tests/server/raw_call.h"
#include "tests/server/test_harness.h"

namespace ptune::server::testing {
namespace {

using ptune::v1::Job;
using ptune::v1::JobEvent;
using ptune::v1::JobFinished;
using ptune::v1::SchedulerMessage;

class WatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SchedulerOptions options = TestOptions(dir_.path());
    options.watcher_buffer = 16;  // small, so a slow watcher overflows quickly
    auto server = SchedulerServer::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = std::make_unique<Client>(server_->port());
    worker_ = std::make_unique<FakeWorker>(server_->port(), "w1");
    ASSERT_TRUE(worker_->Connect());
    job_ = client_->MustSubmit("watched");
    ASSERT_TRUE(worker_->Expect(SchedulerMessage::kAssignment));
  }
  // Sends steps [from, to] as telemetry indexes [from, to] in batches of `batch`.
  void SendSteps(uint64_t from, uint64_t to, uint64_t batch = 10) {
    for (uint64_t first = from; first <= to; first += batch) {
      std::vector<JobEvent> events;
      for (uint64_t step = first; step <= std::min(to, first + batch - 1); ++step) {
        events.push_back(StepEvent(step));
      }
      worker_->Telemetry(job_.id(), 1, first, events);
    }
    ASSERT_TRUE(worker_->ExpectAck(job_.id(), to));
  }
  static void ExpectContiguous(const std::vector<JobEvent>& events, uint64_t after_seq) {
    for (size_t i = 0; i < events.size(); ++i) {
      ASSERT_EQ(events[i].seq(), after_seq + i + 1) << "gap or duplicate at " << i;
      EXPECT_EQ(events[i].job_id(), events[0].job_id());
    }
  }

  TempDir dir_;
  std::unique_ptr<SchedulerServer> server_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<FakeWorker> worker_;
  Job job_;
};

TEST_F(WatchTest, ReplaysThenFollowsLiveAndEndsWhenFinal) {
  SendSteps(1, 50);
  std::vector<JobEvent> events;
  std::thread watcher([&] { ASSERT_TRUE(client_->Watch(job_.id(), 0, &events).ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  SendSteps(51, 100);
  worker_->Finish(job_.id(), 1, JobFinished::RESULT_SUCCEEDED, 100);
  watcher.join();  // the stream ends by itself after the final state change
  ExpectContiguous(events, 0);
  // QUEUED, RUNNING, 100 steps, SUCCEEDED.
  ASSERT_EQ(events.size(), 103u);
  EXPECT_EQ(events.front().state().to(), ptune::v1::JOB_STATE_QUEUED);
  EXPECT_EQ(events[1].state().to(), ptune::v1::JOB_STATE_RUNNING);
  EXPECT_EQ(events.back().state().to(), ptune::v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(events.back().seq(), client_->MustGet(job_.id()).last_seq());
}

TEST_F(WatchTest, ResumeFromLastSeqHasNoGapAndNoDuplicate) {
  SendSteps(1, 40);
  std::vector<JobEvent> first;
  ASSERT_TRUE(client_->Watch(job_.id(), 0, &first, 25).ok());
  ASSERT_EQ(first.size(), 25u);
  ExpectContiguous(first, 0);
  SendSteps(41, 60);
  worker_->Finish(job_.id(), 1, JobFinished::RESULT_SUCCEEDED, 60);
  std::vector<JobEvent> rest;
  ASSERT_TRUE(client_->Watch(job_.id(), first.back().seq(), &rest).ok());
  ExpectContiguous(rest, first.back().seq());
  EXPECT_EQ(first.size() + rest.size(), 63u);
  // Watching a finished job from its last seq ends at once.
  std::vector<JobEvent> none;
  ASSERT_TRUE(client_->Watch(job_.id(), rest.back().seq(), &none).ok());
  EXPECT_TRUE(none.empty());
}

TEST_F(WatchTest, SlowWatcherCatchesUpWithoutBlockingOthers) {
  // A watcher that reads nothing while thousands of events arrive: ingestion and a
  // fast watcher go on; the slow one later receives every event exactly once.
  grpc::ClientContext slow_context;
  client_->Prepare(&slow_context);
  ptune::v1::WatchJobRequest request;
  request.set_job_id(job_.id());
  auto slow = client_->stub()->WatchJob(&slow_context, request);
  std::vector<JobEvent> fast;
  std::thread fast_watcher([&] { ASSERT_TRUE(client_->Watch(job_.id(), 0, &fast).ok()); });
  const uint64_t steps = 3000;
  SendSteps(1, steps, 100);
  worker_->Finish(job_.id(), 1, JobFinished::RESULT_SUCCEEDED, steps);
  fast_watcher.join();
  EXPECT_EQ(fast.size(), steps + 3);
  ExpectContiguous(fast, 0);
  std::vector<JobEvent> slow_events;
  JobEvent event;
  while (slow->Read(&event)) slow_events.push_back(event);
  ASSERT_TRUE(slow->Finish().ok());
  EXPECT_EQ(slow_events.size(), steps + 3);
  ExpectContiguous(slow_events, 0);
}

TEST_F(WatchTest, AFewStoredEventsArriveWithoutMoreTraffic) {
  // Regression: with coalesced (buffer-hinted) writes, the first of two stored events
  // never completed and the watcher hung until more events came.
  std::vector<JobEvent> events;
  ASSERT_TRUE(client_->Watch(job_.id(), 0, &events, 2).ok());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].state().to(), ptune::v1::JOB_STATE_RUNNING);
}

TEST_F(WatchTest, UnknownJobIsNotFound) {
  std::vector<JobEvent> events;
  EXPECT_EQ(client_->Watch("job-424242", 0, &events).error_code(), grpc::StatusCode::NOT_FOUND);
}

// WatchJobBatched: the same events as WatchJob, several per message.
TEST_F(WatchTest, BatchedReplaysThenFollowsLiveAndEndsWhenFinal) {
  SendSteps(1, 200);
  std::vector<JobEvent> events;
  size_t batches = 0;
  std::thread watcher(
      [&] { ASSERT_TRUE(client_->WatchBatched(job_.id(), 0, &events, SIZE_MAX, &batches).ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  SendSteps(201, 400);
  worker_->Finish(job_.id(), 1, JobFinished::RESULT_SUCCEEDED, 400);
  watcher.join();
  ExpectContiguous(events, 0);
  ASSERT_EQ(events.size(), 403u);
  EXPECT_EQ(events.back().state().to(), ptune::v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(events[2].step().step(), 1u);
  // The 202 stored events went out in far fewer messages than events.
  EXPECT_LT(batches, 300u);
  // Byte-for-byte the events WatchJob sends.
  std::vector<JobEvent> single;
  ASSERT_TRUE(client_->Watch(job_.id(), 0, &single).ok());
  ASSERT_EQ(single.size(), events.size());
  for (size_t i = 0; i < single.size(); ++i) {
    ASSERT_EQ(single[i].SerializeAsString(), events[i].SerializeAsString()) << i;
  }
}

TEST_F(WatchTest, BatchedResumeFromLastSeqHasNoGapAndNoDuplicate) {
  SendSteps(1, 40);
  std::vector<JobEvent> first;
  ASSERT_TRUE(client_->WatchBatched(job_.id(), 0, &first, 25).ok());
  ASSERT_GE(first.size(), 25u);
  ExpectContiguous(first, 0);
  SendSteps(41, 60);
  worker_->Finish(job_.id(), 1, JobFinished::RESULT_SUCCEEDED, 60);
  std::vector<JobEvent> rest;
  ASSERT_TRUE(client_->WatchBatched(job_.id(), first.back().seq(), &rest).ok());
  ExpectContiguous(rest, first.back().seq());
  EXPECT_EQ(first.size() + rest.size(), 63u);
  std::vector<JobEvent> none;
  ASSERT_TRUE(client_->WatchBatched(job_.id(), rest.back().seq(), &none).ok());
  EXPECT_TRUE(none.empty());
}

TEST_F(WatchTest, BatchedSlowWatcherReceivesEveryEventOnce) {
  grpc::ClientContext slow_context;
  client_->Prepare(&slow_context);
  ptune::v1::WatchJobRequest request;
  request.set_job_id(job_.id());
  auto slow = client_->stub()->WatchJobBatched(&slow_context, request);
  const uint64_t steps = 3000;
  SendSteps(1, steps, 100);
  worker_->Finish(job_.id(), 1, JobFinished::RESULT_SUCCEEDED, steps);
  std::vector<JobEvent> events;
  ptune::v1::JobEventBatch batch;
  while (slow->Read(&batch))
    events.insert(events.end(), batch.events().begin(), batch.events().end());
  ASSERT_TRUE(slow->Finish().ok());
  EXPECT_EQ(events.size(), steps + 3);
  ExpectContiguous(events, 0);
}

TEST_F(WatchTest, BatchedUnknownJobIsNotFound) {
  std::vector<JobEvent> events;
  EXPECT_EQ(client_->WatchBatched("job-424242", 0, &events).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// WatchJob parses its request itself (it is a raw method, see job_service.h).
TEST_F(WatchTest, MalformedRequestIsInvalidArgument) {
  std::string response;
  grpc::Status status =
      RawCall(server_->port(), "/ptune.v1.JobService/WatchJob", "\xff\xff\xff", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(response.empty());
}

}  // namespace
}  // namespace ptune::server::testing
