#include "common/job_state.h"

#include <gtest/gtest.h>

namespace ptune {
namespace {

TEST(JobState, OnlySucceededFailedAndCancelledAreFinal) {
  EXPECT_FALSE(IsFinal(v1::JOB_STATE_UNSPECIFIED));
  EXPECT_FALSE(IsFinal(v1::JOB_STATE_QUEUED));
  EXPECT_FALSE(IsFinal(v1::JOB_STATE_RUNNING));
  EXPECT_TRUE(IsFinal(v1::JOB_STATE_SUCCEEDED));
  EXPECT_TRUE(IsFinal(v1::JOB_STATE_FAILED));
  EXPECT_TRUE(IsFinal(v1::JOB_STATE_CANCELLED));
}

TEST(JobState, ShortNamesDropThePrefix) {
  EXPECT_EQ(ShortStateName(v1::JOB_STATE_RUNNING), "RUNNING");
  EXPECT_EQ(ShortStateName(v1::JOB_STATE_QUEUED), "QUEUED");
  EXPECT_EQ(ShortStateName(v1::JOB_STATE_CANCELLED), "CANCELLED");
  EXPECT_EQ(ShortStateName(v1::JOB_STATE_UNSPECIFIED), "UNSPECIFIED");
  EXPECT_EQ(ShortStateName(static_cast<v1::JobState>(99)), "UNKNOWN");
}

}  // namespace
}  // namespace ptune
