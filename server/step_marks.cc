#include "server/step_marks.h"

#include <algorithm>

namespace ptune::server {

using ptune::v1::JobEvent;

std::optional<uint64_t> EventStep(const JobEvent& event) {
  switch (event.kind_case()) {
    case JobEvent::kStep:
      return event.step().step();
    case JobEvent::kEval:
      return event.eval().step();
    case JobEvent::kTopology:
      return event.topology().step();
    case JobEvent::kCheckpoint:
      return event.checkpoint().step();
    default:
      return std::nullopt;
  }
}

bool StepMarks::Admit(const JobEvent& event) {
  const std::optional<uint64_t> step = EventStep(event);
  if (!step) return true;
  if (event.attempt() > attempt_) {
    // The first event of a new attempt: everything stored so far is the earlier
    // attempts' and bounds what this one may add.
    for (const auto& [kind, mark] : marks_) floor_ = std::max(floor_, mark.step);
    attempt_ = event.attempt();
  }
  if (*step < floor_) return false;
  auto it = marks_.find(event.kind_case());
  if (it != marks_.end()) {
    const Mark& mark = it->second;
    if (*step < mark.step) return false;
    if (*step == mark.step &&
        (mark.attempt != event.attempt() || event.kind_case() == JobEvent::kStep)) {
      return false;
    }
  }
  marks_[event.kind_case()] = Mark{*step, event.attempt()};
  return true;
}

uint64_t StepMarks::last_step() const {
  auto it = marks_.find(JobEvent::kStep);
  return it == marks_.end() ? 0 : it->second.step;
}

}  // namespace ptune::server
