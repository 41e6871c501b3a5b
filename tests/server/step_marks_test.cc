// StepMarks: which telemetry of a re-run attempt is new.
#include "server/step_marks.h"

#include <gtest/gtest.h>

namespace ptune::server {
namespace {

using ptune::v1::JobEvent;

JobEvent Step(uint64_t step, uint32_t attempt) {
  JobEvent event;
  event.set_attempt(attempt);
  event.mutable_step()->set_step(step);
  return event;
}
JobEvent Topology(uint64_t step, uint32_t attempt) {
  JobEvent event;
  event.set_attempt(attempt);
  event.mutable_topology()->set_step(step);
  return event;
}
JobEvent Eval(uint64_t step, uint32_t attempt, const std::string& split) {
  JobEvent event;
  event.set_attempt(attempt);
  event.mutable_eval()->set_step(step);
  event.mutable_eval()->set_split(split);
  return event;
}

TEST(StepMarks, OneAttemptSharesStepsAcrossKindsAndRepeatsNoStepRecord) {
  StepMarks marks;
  EXPECT_TRUE(marks.Admit(Step(25, 1)));
  EXPECT_TRUE(marks.Admit(Topology(25, 1)));
  EXPECT_TRUE(marks.Admit(Eval(25, 1, "validation")));
  EXPECT_TRUE(marks.Admit(Eval(25, 1, "test")));
  EXPECT_FALSE(marks.Admit(Step(25, 1)));
  EXPECT_FALSE(marks.Admit(Topology(20, 1)));
  EXPECT_EQ(marks.last_step(), 25u);
}

TEST(StepMarks, ANewAttemptAddsNothingBelowWhatEarlierAttemptsStored) {
  StepMarks marks;
  for (uint64_t step = 1; step <= 27; ++step) {
    ASSERT_TRUE(marks.Admit(Step(step, 1)));
    if (step % 5 == 0) {
      ASSERT_TRUE(marks.Admit(Topology(step, 1)));
    }
  }
  // Resumed from a checkpoint at 20: 21..27 again, topology @25 again.
  for (uint64_t step = 21; step <= 27; ++step) EXPECT_FALSE(marks.Admit(Step(step, 2)));
  EXPECT_FALSE(marks.Admit(Topology(25, 2)));
  // An eval at 26 would come after step 27 in the stream: dropped too.
  EXPECT_FALSE(marks.Admit(Eval(26, 2, "validation")));
  EXPECT_TRUE(marks.Admit(Step(28, 2)));
  EXPECT_TRUE(marks.Admit(Eval(30, 2, "validation")));
  EXPECT_TRUE(marks.Admit(Topology(30, 2)));
  EXPECT_EQ(marks.last_step(), 28u);
}

TEST(StepMarks, AKindTheEarlierAttemptNeverReachedStartsAtItsHighestStep) {
  StepMarks marks;
  ASSERT_TRUE(marks.Admit(Step(20, 1)));
  // Attempt 1 died between step 20's record and its eval: attempt 2's eval @20 is new.
  EXPECT_TRUE(marks.Admit(Eval(20, 2, "validation")));
  EXPECT_TRUE(marks.Admit(Eval(20, 2, "test")));
  EXPECT_FALSE(marks.Admit(Step(20, 2)));
}

TEST(StepMarks, EventsWithoutAStepAreAlwaysNew) {
  StepMarks marks;
  ASSERT_TRUE(marks.Admit(Step(5, 1)));
  JobEvent log;
  log.set_attempt(2);
  log.mutable_log()->set_message("hello");
  EXPECT_TRUE(marks.Admit(log));
  EXPECT_TRUE(marks.Admit(log));
  EXPECT_FALSE(EventStep(log).has_value());
}

}  // namespace
}  // namespace ptune::server
