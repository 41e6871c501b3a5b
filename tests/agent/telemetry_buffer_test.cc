#include "worker/agent/telemetry_buffer.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace ptune::agent {
namespace {

using Clock = TelemetryBuffer::Clock;
using std::chrono::milliseconds;

v1::JobEvent Step(uint64_t step) {
  v1::JobEvent event;
  event.mutable_step()->set_step(step);
  return event;
}

v1::JobEvent Eval(uint64_t step) {
  v1::JobEvent event;
  event.mutable_eval()->set_step(step);
  event.mutable_eval()->set_split("validation");
  return event;
}

v1::JobEvent State(v1::JobState to) {
  v1::JobEvent event;
  event.mutable_state()->set_to(to);
  return event;
}

TelemetryBufferOptions SmallOptions() {
  TelemetryBufferOptions options;
  options.capacity = 1000;
  options.max_batch_events = 4;
  options.max_delay = milliseconds(100);
  options.max_in_flight = 100;
  return options;
}

// Sends every due batch and returns their events' step numbers in index order,
// checking that the indexes are consecutive.
std::vector<uint64_t> DrainSteps(TelemetryBuffer& buffer, uint64_t* next_index) {
  std::vector<uint64_t> steps;
  while (auto batch = buffer.NextBatch()) {
    EXPECT_EQ(batch->first_index(), *next_index);
    *next_index += batch->events_size();
    for (const auto& event : batch->events()) steps.push_back(event.step().step());
  }
  return steps;
}

TEST(TelemetryBuffer, NumbersEventsConsecutivelyFromOneAndStampsJobAndAttempt) {
  TelemetryBuffer buffer("job-1", 3, 0, SmallOptions());
  const auto now = Clock::now();
  for (uint64_t s = 1; s <= 10; ++s) buffer.Append(Step(s), now);
  auto first = buffer.NextBatch();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->job_id(), "job-1");
  EXPECT_EQ(first->attempt(), 3u);
  EXPECT_EQ(first->first_index(), 1u);
  ASSERT_EQ(first->events_size(), 4);
  EXPECT_EQ(first->events(0).job_id(), "job-1");
  EXPECT_EQ(first->events(0).attempt(), 3u);
  uint64_t next = 5;
  EXPECT_EQ(DrainSteps(buffer, &next), (std::vector<uint64_t>{5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(buffer.last_index(), 10u);
}

TEST(TelemetryBuffer, ContinuesAfterTheAssignmentsAckedIndex) {
  TelemetryBuffer buffer("job-1", 2, 41, SmallOptions());
  buffer.Append(Step(7), Clock::now());
  auto batch = buffer.NextBatch();
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->first_index(), 42u);
  EXPECT_EQ(buffer.last_index(), 42u);
}

TEST(TelemetryBuffer, BatchIsDueWhenFullOrOldOrFlushed) {
  TelemetryBuffer buffer("j", 1, 0, SmallOptions());
  const auto t0 = Clock::now();
  EXPECT_FALSE(buffer.BatchDue(t0, /*flush=*/true));  // nothing to send
  buffer.Append(Step(1), t0);
  EXPECT_FALSE(buffer.BatchDue(t0 + milliseconds(50)));
  EXPECT_TRUE(buffer.BatchDue(t0 + milliseconds(50), /*flush=*/true));
  EXPECT_TRUE(buffer.BatchDue(t0 + milliseconds(100)));
  for (uint64_t s = 2; s <= 4; ++s) buffer.Append(Step(s), t0);
  EXPECT_TRUE(buffer.BatchDue(t0));  // a full batch waits
}

TEST(TelemetryBuffer, AckReleasesEventsAndRewindResendsOnlyUnacknowledgedOnes) {
  TelemetryBuffer buffer("j", 1, 0, SmallOptions());
  const auto now = Clock::now();
  for (uint64_t s = 1; s <= 8; ++s) buffer.Append(Step(s), now);
  uint64_t next = 1;
  ASSERT_EQ(DrainSteps(buffer, &next).size(), 8u);
  buffer.Ack(5);
  EXPECT_EQ(buffer.acked_index(), 5u);
  EXPECT_EQ(buffer.size(), 3u);
  EXPECT_FALSE(buffer.NextBatch().has_value());  // all sent, waiting for acks

  buffer.Rewind();  // the stream broke
  EXPECT_TRUE(buffer.BatchDue(now));
  buffer.Append(Step(9), now);
  next = 6;
  EXPECT_EQ(DrainSteps(buffer, &next), (std::vector<uint64_t>{6, 7, 8, 9}));
  buffer.Ack(9);
  EXPECT_TRUE(buffer.Drained());
}

TEST(TelemetryBuffer, IgnoresStaleAndUnknownAcks) {
  TelemetryBuffer buffer("j", 1, 0, SmallOptions());
  const auto now = Clock::now();
  for (uint64_t s = 1; s <= 3; ++s) buffer.Append(Step(s), now);
  ASSERT_TRUE(buffer.NextBatch().has_value());
  buffer.Ack(2);
  buffer.Ack(1);  // stale
  EXPECT_EQ(buffer.acked_index(), 2u);
  buffer.Ack(99);  // beyond anything numbered
  EXPECT_EQ(buffer.acked_index(), 2u);
  EXPECT_EQ(buffer.size(), 1u);
}

TEST(TelemetryBuffer, AckOfEventsSentOnAnEarlierStreamIsHonouredAfterRewind) {
  TelemetryBuffer buffer("j", 1, 0, SmallOptions());
  const auto now = Clock::now();
  for (uint64_t s = 1; s <= 4; ++s) buffer.Append(Step(s), now);
  ASSERT_TRUE(buffer.NextBatch().has_value());
  buffer.Rewind();
  buffer.Ack(3);  // the scheduler had stored them before the break
  uint64_t next = 4;
  EXPECT_EQ(DrainSteps(buffer, &next), (std::vector<uint64_t>{4}));
}

TEST(TelemetryBuffer, InFlightWindowHoldsBackNewBatches) {
  auto options = SmallOptions();
  options.max_in_flight = 4;
  TelemetryBuffer buffer("j", 1, 0, options);
  const auto now = Clock::now();
  for (uint64_t s = 1; s <= 8; ++s) buffer.Append(Step(s), now);
  ASSERT_TRUE(buffer.NextBatch().has_value());
  EXPECT_FALSE(buffer.BatchDue(now, true));
  EXPECT_FALSE(buffer.NextBatch().has_value());
  buffer.Ack(4);
  EXPECT_TRUE(buffer.NextBatch().has_value());
}

TEST(TelemetryBuffer, ThinsOldestStepRecordsFirstAndNeverDropsOtherEvents) {
  auto options = SmallOptions();
  options.capacity = 50;
  options.max_batch_events = 1000;
  TelemetryBuffer buffer("j", 1, 0, options);
  const auto now = Clock::now();
  buffer.Append(State(v1::JOB_STATE_RUNNING), now);
  for (uint64_t s = 1; s <= 200; ++s) {
    buffer.Append(Step(s), now);
    if (s % 20 == 0) buffer.Append(Eval(s), now);
  }
  EXPECT_LE(buffer.size(), options.capacity);
  EXPECT_EQ(buffer.thinned(), 201u + 10u - buffer.size());

  auto batch = buffer.NextBatch();
  ASSERT_TRUE(batch.has_value());
  int states = 0, evals = 0;
  std::vector<uint64_t> steps;
  for (const auto& event : batch->events()) {
    states += event.has_state();
    evals += event.has_eval();
    if (event.has_step()) steps.push_back(event.step().step());
  }
  EXPECT_EQ(states, 1);
  EXPECT_EQ(evals, 10);
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps.back(), 200u);  // the newest step survives
  for (size_t i = 1; i < steps.size(); ++i) EXPECT_LT(steps[i - 1], steps[i]);
  // Recent history stays denser than old history.
  const size_t half = steps.size() / 2;
  EXPECT_GT(steps[1] - steps[0], steps.back() - steps[steps.size() - 2])
      << "old history should be coarser than recent history";
  EXPECT_GT(steps[half], 100u) << "most kept records should be recent";
}

TEST(TelemetryBuffer, NeverThinsEventsAlreadySentAndKeepsIndexesGapFree) {
  auto options = SmallOptions();
  options.capacity = 20;
  options.max_batch_events = 10;
  TelemetryBuffer buffer("j", 1, 0, options);
  const auto now = Clock::now();
  for (uint64_t s = 1; s <= 10; ++s) buffer.Append(Step(s), now);
  ASSERT_TRUE(buffer.NextBatch().has_value());  // indexes 1..10, unacknowledged
  buffer.Rewind();                              // disconnected
  for (uint64_t s = 11; s <= 100; ++s) buffer.Append(Step(s), now);
  EXPECT_LE(buffer.size(), options.capacity);
  uint64_t next = 1;
  std::vector<uint64_t> steps = DrainSteps(buffer, &next);
  ASSERT_GE(steps.size(), 10u);
  for (uint64_t s = 1; s <= 10; ++s) EXPECT_EQ(steps[s - 1], s);
  EXPECT_EQ(steps.back(), 100u);
  EXPECT_EQ(next - 1, buffer.last_index());
}

TEST(TelemetryBuffer, GrowsPastCapacityRatherThanDropProtectedEvents) {
  auto options = SmallOptions();
  options.capacity = 5;
  TelemetryBuffer buffer("j", 1, 0, options);
  const auto now = Clock::now();
  for (uint64_t s = 1; s <= 12; ++s) buffer.Append(Eval(s), now);
  EXPECT_EQ(buffer.size(), 12u);
  EXPECT_EQ(buffer.thinned(), 0u);
}

}  // namespace
}  // namespace ptune::agent
