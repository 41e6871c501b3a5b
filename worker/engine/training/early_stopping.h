#ifndef PTUNE_WORKER_ENGINE_TRAINING_EARLY_STOPPING_H_
#define PTUNE_WORKER_ENGINE_TRAINING_EARLY_STOPPING_H_

// The early-stopping state of a job: the best validation score so far and how many
// evaluations have passed without beating it. Checkpointed, so a resumed job stops where
// an uninterrupted one would. Torch-free.

#include <cstdint>

namespace ptune::engine {

struct EarlyStopping {
  bool has_best = false;
  double best_score = 0.0;  // higher is better (causal LM scores are negated losses)
  uint32_t evals_since_best = 0;

  // Records an evaluation's score; true when it is the new best (the first always is).
  bool Record(double score) {
    if (!has_best || score > best_score) {
      has_best = true;
      best_score = score;
      evals_since_best = 0;
      return true;
    }
    ++evals_since_best;
    return false;
  }

  // True when `patience` (> 0) evaluations in a row did not improve; 0 never stops.
  bool Exhausted(uint32_t patience) const { return patience > 0 && evals_since_best >= patience; }
};

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_TRAINING_EARLY_STOPPING_H_
