#include "common/job_state.h"

#include <string>

namespace ptune {

bool IsFinal(ptune::v1::JobState state) {
  return state == ptune::v1::JOB_STATE_SUCCEEDED || state == ptune::v1::JOB_STATE_FAILED ||
         state == ptune::v1::JOB_STATE_CANCELLED;
}

std::string_view ShortStateName(ptune::v1::JobState state) {
  if (!ptune::v1::JobState_IsValid(state)) return "UNKNOWN";
  // The generated name is a reference to a string that lives as long as the program.
  std::string_view name = ptune::v1::JobState_Name(state);
  constexpr std::string_view kPrefix = "JOB_STATE_";
  if (name.substr(0, kPrefix.size()) == kPrefix) name.remove_prefix(kPrefix.size());
  return name;
}

}  // namespace ptune
