// One attempt's outgoing traffic without any stream: what is written, in which order,
// and what is written again after a reconnect.
#include "worker/agent/job_attempt.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "worker/agent/upload_chunks.h"

namespace ptune::agent {
namespace {

using Clock = JobAttempt::Clock;
using std::chrono::milliseconds;

v1::Assignment Assignment(uint64_t acked_index = 0, uint64_t checkpoint_step = 0) {
  v1::Assignment a;
  a.set_job_id("job-1");
  a.set_attempt(2);
  a.set_acked_index(acked_index);
  a.set_checkpoint_step(checkpoint_step);
  return a;
}

TelemetryBufferOptions Options() {
  TelemetryBufferOptions options;
  options.max_batch_events = 100;
  options.max_delay = milliseconds(0);  // every event is due at once
  return options;
}

v1::JobEvent Step(uint64_t step) {
  v1::JobEvent event;
  event.mutable_step()->set_step(step);
  return event;
}

v1::JobFinished Result(v1::JobFinished::Result result) {
  v1::JobFinished f;
  f.set_job_id("job-1");
  f.set_attempt(2);
  f.set_result(result);
  return f;
}

// One letter per message, so a test can state the expected order as a string:
// T telemetry, C checkpoint chunk, A artifact chunk, F result, K cancel ack.
std::string Kinds(const std::vector<v1::WorkerMessage>& messages) {
  std::string out;
  for (const auto& m : messages) {
    switch (m.kind_case()) {
      case v1::WorkerMessage::kTelemetry:
        out += 'T';
        break;
      case v1::WorkerMessage::kCheckpoint:
        out += 'C';
        break;
      case v1::WorkerMessage::kArtifact:
        out += 'A';
        break;
      case v1::WorkerMessage::kFinished:
        out += 'F';
        break;
      case v1::WorkerMessage::kCancelAck:
        out += 'K';
        break;
      default:
        out += '?';
    }
  }
  return out;
}

std::vector<v1::WorkerMessage> Drain(JobAttempt& attempt) {
  std::vector<v1::WorkerMessage> out;
  attempt.DrainWrites(Clock::now() + milliseconds(1), out);
  return out;
}

TEST(JobAttempt, WritesTelemetryThenChunksThenTheResultCountingEveryEvent) {
  JobAttempt attempt(Assignment(), Options());
  const auto now = Clock::now();
  attempt.AddEvent(Step(1), now);
  attempt.AddCheckpoint(1, CheckpointChunks("job-1", 2, 1, "abcdef", 4));  // 2 chunks
  attempt.AddEvent(Step(2), now);
  attempt.Finish(ArtifactChunks("job-1", 2, "prompt.bin", "xyz", 4),
                 Result(v1::JobFinished::RESULT_SUCCEEDED));
  const auto out = Drain(attempt);
  EXPECT_EQ(Kinds(out), "TCCAF");
  EXPECT_EQ(out[0].telemetry().events_size(), 2);
  EXPECT_EQ(out.back().finished().last_index(), 2u);
  EXPECT_EQ(attempt.step(), 2u);
  EXPECT_TRUE(Drain(attempt).empty()) << "nothing is written twice on one stream";
  EXPECT_FALSE(attempt.Confirmed()) << "events 1-2 are not acknowledged yet";
  attempt.OnTelemetryAck(2);
  EXPECT_TRUE(attempt.Confirmed());
}

TEST(JobAttempt, TheResultWaitsForUnsentTelemetry) {
  TelemetryBufferOptions options = Options();
  options.max_in_flight = 1;  // one event in flight at a time
  options.max_batch_events = 1;
  JobAttempt attempt(Assignment(), options);
  attempt.AddEvent(Step(1), Clock::now());
  attempt.AddEvent(Step(2), Clock::now());
  attempt.Finish({}, Result(v1::JobFinished::RESULT_SUCCEEDED));
  EXPECT_EQ(Kinds(Drain(attempt)), "T") << "event 2 waits for the window, the result for it";
  attempt.OnTelemetryAck(1);
  const auto out = Drain(attempt);
  ASSERT_EQ(Kinds(out), "TF");
  EXPECT_EQ(out[1].finished().last_index(), 2u);
}

// The WorkerKills flake: with batching, step records 37-40 sat in the buffer while the
// step-40 checkpoint went out; the worker died, the next attempt resumed after step 40
// and those records were never streamed.
TEST(JobAttempt, ACheckpointNeverGoesOutAheadOfTheStepRecordsItCovers) {
  TelemetryBufferOptions options = Options();
  options.max_delay = std::chrono::hours(1);  // nothing is due by age
  JobAttempt attempt(Assignment(), options);
  const auto now = Clock::now();
  attempt.AddEvent(Step(1), now);
  attempt.AddEvent(Step(2), now);
  EXPECT_EQ(Kinds(Drain(attempt)), "") << "a part batch waits for max_delay";
  attempt.AddCheckpoint(2, CheckpointChunks("job-1", 2, 2, "abcdef", 4));
  const auto out = Drain(attempt);
  ASSERT_EQ(Kinds(out), "TCC") << "the checkpoint flushes the records before it";
  EXPECT_EQ(out[0].telemetry().events_size(), 2);
}

TEST(JobAttempt, ACheckpointWaitsWhileTheInFlightWindowHoldsBackEarlierRecords) {
  TelemetryBufferOptions options = Options();
  options.max_in_flight = 1;
  options.max_batch_events = 1;
  JobAttempt attempt(Assignment(), options);
  attempt.AddEvent(Step(1), Clock::now());
  attempt.AddEvent(Step(2), Clock::now());
  attempt.AddCheckpoint(2, CheckpointChunks("job-1", 2, 2, "abc", 8));
  EXPECT_EQ(Kinds(Drain(attempt)), "T") << "step 2 is unsent, so the checkpoint waits";
  attempt.OnTelemetryAck(1);
  EXPECT_EQ(Kinds(Drain(attempt)), "TC");
}

TEST(JobAttempt, RewindResendsUnacknowledgedTelemetryAndTheLatestUnacknowledgedCheckpoint) {
  JobAttempt attempt(Assignment(/*acked_index=*/10, /*checkpoint_step=*/50), Options());
  EXPECT_EQ(attempt.step(), 50u);
  attempt.AddEvent(Step(51), Clock::now());
  attempt.AddCheckpoint(51, CheckpointChunks("job-1", 2, 51, "old", 8));
  attempt.AddCheckpoint(52, CheckpointChunks("job-1", 2, 52, "new", 8));
  EXPECT_EQ(Kinds(Drain(attempt)), "TCC");

  attempt.Rewind();  // the stream broke before any acknowledgement
  auto again = Drain(attempt);
  ASSERT_EQ(Kinds(again), "TC") << "only the latest checkpoint is uploaded again";
  EXPECT_EQ(again[0].telemetry().first_index(), 11u) << "same indexes as the first time";
  EXPECT_EQ(again[1].checkpoint().step(), 52u);

  attempt.OnCheckpointAck(51);  // an older checkpoint's ack does not cover step 52
  attempt.Rewind();
  EXPECT_EQ(Kinds(Drain(attempt)), "TC");
  attempt.OnCheckpointAck(52);
  attempt.OnTelemetryAck(11);
  attempt.Rewind();
  EXPECT_EQ(Kinds(Drain(attempt)), "");
}

TEST(JobAttempt, AFinishedAttemptResendsArtifactsAndResultUntilConfirmed) {
  JobAttempt attempt(Assignment(), Options());
  attempt.AddEvent(Step(1), Clock::now());
  attempt.Finish(ArtifactChunks("job-1", 2, "prompt.bin", "xyz", 8),
                 Result(v1::JobFinished::RESULT_SUCCEEDED));
  EXPECT_EQ(Kinds(Drain(attempt)), "TAF");
  attempt.Rewind();
  EXPECT_FALSE(attempt.Confirmed());
  const auto again = Drain(attempt);
  ASSERT_EQ(Kinds(again), "TAF");
  EXPECT_EQ(again.back().finished().last_index(), 1u);
  attempt.OnTelemetryAck(1);
  EXPECT_TRUE(attempt.Confirmed());
}

TEST(JobAttempt, ACancelledRunAcknowledgesTheCancelRightAfterItsResult) {
  JobAttempt attempt(Assignment(), Options());
  attempt.AckCancelWithResult();
  EXPECT_EQ(Kinds(Drain(attempt)), "") << "no ack before the run ended";
  attempt.Finish({}, Result(v1::JobFinished::RESULT_CANCELLED));
  attempt.Finish({}, Result(v1::JobFinished::RESULT_FAILED));  // ignored
  const auto out = Drain(attempt);
  ASSERT_EQ(Kinds(out), "FK");
  EXPECT_EQ(out[0].finished().result(), v1::JobFinished::RESULT_CANCELLED);
  EXPECT_EQ(out[1].cancel_ack().job_id(), "job-1");
  EXPECT_TRUE(attempt.Confirmed()) << "no events: the result alone confirms it";
}

TEST(JobAttempt, CountsThinnedStepRecords) {
  TelemetryBufferOptions options = Options();
  options.capacity = 4;
  JobAttempt attempt(Assignment(), options);
  uint64_t thinned = 0;
  for (uint64_t s = 1; s <= 20; ++s) thinned += attempt.AddEvent(Step(s), Clock::now());
  EXPECT_GT(thinned, 0u);
  EXPECT_LE(attempt.buffered_events(), 4u);
  EXPECT_EQ(attempt.step(), 20u) << "thinning never hides the latest step";
}

}  // namespace
}  // namespace ptune::agent
