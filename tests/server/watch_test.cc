// WatchJob: replay from the store, live follow, resume with no gap or duplicate, slow
// watchers that neither block nor lose events.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/server/raw_call.h"
#include "tests/server/test_harness.h"

namespace ptune::server::testing {
namespace {

using ptune::v1::Job;
using ptune::v1::JobEvent;
using ptune::v1::JobFinished;
using ptune::v1::SchedulerMessage;

// A watch stream read on its own thread, so a test can act between the events it has
// received: e.g. publish only after the replay arrived, and wait (bounded) for each
// live batch before sending the next.
class WatchStream {
 public:
  WatchStream(Client* client, const std::string& job_id, bool batched) {
    client->Prepare(&context_);
    ptune::v1::WatchJobRequest request;
    request.set_job_id(job_id);
    if (batched) {
      auto reader = client->stub()->WatchJobBatched(&context_, request);
      reader_ = std::thread([this, reader = std::move(reader)] {
        ptune::v1::JobEventBatch batch;
        while (reader->Read(&batch)) Add(batch.events().begin(), batch.events().end());
        Done(reader->Finish());
      });
    } else {
      auto reader = client->stub()->WatchJob(&context_, request);
      reader_ = std::thread([this, reader = std::move(reader)] {
        JobEvent event;
        while (reader->Read(&event)) Add(&event, &event + 1);
        Done(reader->Finish());
      });
    }
  }
  ~WatchStream() {
    context_.TryCancel();
    reader_.join();
  }

  // True once `count` events arrived; false after 10 s without them.
  bool WaitForEvents(size_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(10),
                             [&] { return events_.size() >= count; });
  }
  // The stream's status once it ended by itself (within 10 s), else DEADLINE_EXCEEDED.
  grpc::Status WaitForEnd() {
    std::unique_lock<std::mutex> lock(mu_);
    if (!changed_.wait_for(lock, std::chrono::seconds(10), [&] { return ended_; })) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "the watch did not end");
    }
    return status_;
  }
  std::vector<JobEvent> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

 private:
  template <typename Iterator>
  void Add(Iterator begin, Iterator end) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.insert(events_.end(), begin, end);
    changed_.notify_all();
  }
  void Done(grpc::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = std::move(status);
    ended_ = true;
    changed_.notify_all();
  }

  grpc::ClientContext context_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<JobEvent> events_;
  grpc::Status status_;
  bool ended_ = false;
  std::thread reader_;
};

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
  // Replays the 2 state changes and `stored` steps, then proves live following: steps
  // stored+1 .. stored+live are sent only after the watcher has received the whole
  // replay, in batches of 10 (below the watcher buffer of 16, so nothing overflows into
  // store catch-up), each one only after the previous arrived. Once the replay is out,
  // nothing but the EventHub's notification wakes the stream, so a broken live path
  // fails here instead of being papered over by replay.
  void ReplayThenFollowLive(bool batched, uint64_t stored, uint64_t live) {
    SendSteps(1, stored);
    WatchStream watch(client_.get(), job_.id(), batched);
    ASSERT_TRUE(watch.WaitForEvents(stored + 2)) << "replay: " << watch.events().size();
    for (uint64_t first = stored + 1; first <= stored + live; first += 10) {
      const uint64_t last = std::min(stored + live, first + 9);
      SendSteps(first, last);
      ASSERT_TRUE(watch.WaitForEvents(last + 2))
          << "live steps " << first << ".." << last << " never arrived; got "
          << watch.events().size() << " events";
    }
    worker_->Finish(job_.id(), 1, JobFinished::RESULT_SUCCEEDED, stored + live);
    ASSERT_TRUE(watch.WaitForEnd().ok());  // the stream ends by itself after the final state
    const std::vector<JobEvent> events = watch.events();
    ExpectContiguous(events, 0);
    // QUEUED, RUNNING, the steps, SUCCEEDED.
    ASSERT_EQ(events.size(), stored + live + 3);
    EXPECT_EQ(events.front().state().to(), ptune::v1::JOB_STATE_QUEUED);
    EXPECT_EQ(events[1].state().to(), ptune::v1::JOB_STATE_RUNNING);
    EXPECT_EQ(events[2].step().step(), 1u);
    EXPECT_EQ(events.back().state().to(), ptune::v1::JOB_STATE_SUCCEEDED);
    EXPECT_EQ(events.back().seq(), client_->MustGet(job_.id()).last_seq());
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
  ReplayThenFollowLive(/*batched=*/false, 50, 50);
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
  ReplayThenFollowLive(/*batched=*/true, 200, 50);
}

TEST_F(WatchTest, BatchedSendsTheSameEventsInFewerMessages) {
  SendSteps(1, 200);
  worker_->Finish(job_.id(), 1, JobFinished::RESULT_SUCCEEDED, 200);
  std::vector<JobEvent> events;
  size_t batches = 0;
  ASSERT_TRUE(client_->WatchBatched(job_.id(), 0, &events, SIZE_MAX, &batches).ok());
  ASSERT_EQ(events.size(), 203u);
  // The 203 stored events went out in far fewer messages than events.
  EXPECT_LT(batches, 20u);
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
