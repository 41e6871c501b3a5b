#ifndef PTUNE_SERVER_STEP_MARKS_H_
#define PTUNE_SERVER_STEP_MARKS_H_

#include <cstdint>
#include <map>
#include <optional>

#include "ptune/v1/events.pb.h"

namespace ptune::server {

// The step each step-bearing event carries (StepRecord, EvalRecord, TopologySnapshot,
// CheckpointSaved); nullopt for the others (state, log, artifact).
std::optional<uint64_t> EventStep(const ptune::v1::JobEvent& event);

// Per-kind high-water marks of one job's stored telemetry, over all its attempts. They
// decide which events of a re-run attempt are new: an attempt resumed from a checkpoint
// (or from the start) re-computes steps that watchers already saw, and those must not
// be stored or streamed again, so no step number in a job's stream goes backward.
//
// An event of attempt `a` with step `s` and kind `k` is admitted unless
//   * `s` is below the highest step any earlier attempt stored (of any kind), or
//   * `s` is below the mark of `k`, or equal to it when the mark was set by an earlier
//     attempt (or, for step records, at all: one attempt never repeats a step).
// Within one attempt several kinds share a step (step 25's record, then topology @25)
// and one kind may repeat one (eval @60 on two splits): both are admitted.
//
// The marks are a pure function of the admitted events in order, so the scheduler
// rebuilds them at start by admitting the stored events again; they need no column.
class StepMarks {
 public:
  // Whether `event` (its attempt is event.attempt()) is new; records it when so.
  // Events without a step are always admitted.
  bool Admit(const ptune::v1::JobEvent& event);

  // Highest StepRecord step admitted (0: none).
  uint64_t last_step() const;

 private:
  struct Mark {
    uint64_t step = 0;
    uint32_t attempt = 0;
  };
  // By JobEvent::KindCase.
  std::map<int, Mark> marks_;
  // The attempt of the latest admitted step-bearing event, and the highest step the
  // attempts before it stored.
  uint32_t attempt_ = 0;
  uint64_t floor_ = 0;
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_STEP_MARKS_H_
