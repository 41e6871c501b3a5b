#ifndef PTUNE_BENCH_ENGINE_FROZEN_ANCHORS_H_
#define PTUNE_BENCH_ENGINE_FROZEN_ANCHORS_H_

// The anchors PT accuracy is compared with, measured on the same data split as a job
// spec: what the frozen encoder gives without any prompt.
//
// * zero-shot: the job's verbalizer head (temperature * cos(pooled, verbalizer
//   embedding)) applied to the pooled output of the bare text, nothing trained;
// * linear probe: logistic regression on the frozen pooled embeddings (the engine's
//   linear head and optimizer, full-batch Adam with L2), its L2 strength chosen on the
//   validation split from a small grid, reported on the test split.
// Torch header (bench only).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"

namespace ptune::bench {

struct ProbeFit {
  double l2 = 0.0;  // Adam weight decay (L2 added to the gradient)
  double train_accuracy = 0.0;
  double validation_accuracy = 0.0;
  double test_accuracy = 0.0;
};

struct FrozenAnchors {
  int64_t max_seq_len = 0;  // text tokens the embeddings were computed from
  double zero_shot_validation = 0.0;
  double zero_shot_test = 0.0;
  std::vector<ProbeFit> probes;  // one per L2 strength of the grid
  size_t best = 0;               // index into probes: best validation accuracy
  double embed_seconds = 0.0;    // pooled embeddings of every split
};

// Loads the spec's backbone (CPU) and data (defaults applied here), embeds every split
// once and fits the anchors. `max_seq_len` > 0 overrides data.max_seq_len. Errors as
// RunJob's for a bad spec, missing model or data.
absl::StatusOr<FrozenAnchors> MeasureFrozenAnchors(ptune::v1::JobSpec spec, int64_t max_seq_len);

}  // namespace ptune::bench

#endif  // PTUNE_BENCH_ENGINE_FROZEN_ANCHORS_H_
