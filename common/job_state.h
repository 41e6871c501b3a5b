#ifndef PTUNE_COMMON_JOB_STATE_H_
#define PTUNE_COMMON_JOB_STATE_H_

// Facts about ptune.v1.JobState that the scheduler, the worker and the clients share.

#include <string_view>

#include "ptune/v1/events.pb.h"

namespace ptune {

// True for the states a job never leaves: SUCCEEDED, FAILED, CANCELLED.
bool IsFinal(ptune::v1::JobState state);

// The state's name without the "JOB_STATE_" prefix, as users read it: "RUNNING",
// "SUCCEEDED", "UNSPECIFIED". A number spec.proto does not define gives "UNKNOWN".
std::string_view ShortStateName(ptune::v1::JobState state);

}  // namespace ptune

#endif  // PTUNE_COMMON_JOB_STATE_H_
