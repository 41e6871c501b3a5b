#ifndef PTUNE_WORKER_ENGINE_METHODS_TSLOSS_H_
#define PTUNE_WORKER_ENGINE_METHODS_TSLOSS_H_

// TSLoss, the topological soft-prompt loss (Huang et al., arXiv 2602.16500). The paper's
// exact loss is not available; this is ptune's reconstruction (docs/methods.md
// "TSLoss"). On the n rows of the prompt the backbone sees, with distances D
// (Euclidean or cosine, divided by their mean when normalised):
//   L0 = c sum_{finite H0 bars} death        (or c sum |death - eta| with a target eta)
//   L1 = c sum_{H1 bars} (death - birth)
//   c = 1/n with reduction PER_POINT (the default), 1 with SUM
//   Le = entropy(H0 lifetimes) + entropy(H1 lifetimes)
//   TSLoss = w(step) (lambda0 L0 + lambda1 L1 + lambda_e Le),
//   w(step) = min(1, step / warmup_steps) (1 without warm-up),
// applied on steps that are multiples of `every`. The pairs come from the persistent
// homology engine on detached distances; the values are gathered from the
// differentiable distance matrix (worker/topology/torch_persistence.h), so gradients
// flow to the prompt. Torch header.

#include <torch/torch.h>

#include <cstdint>
#include <memory>

#include "ptune/v1/spec.pb.h"
#include "worker/topology/torch_persistence.h"

namespace ptune::engine {

struct TSLossValue {
  torch::Tensor loss;  // scalar on the prompt's device; 0 (no graph) when not applied
  // The unweighted terms L0, L1, Le of this step (0 when not applied).
  double h0_term = 0, h1_term = 0, entropy_term = 0;
  // Wall time of the distances, the diagram and the terms.
  double persistence_seconds = 0;
  bool applied = false;
};

class TSLoss {
 public:
  // `spec` after ApplySpecDefaults. H1 is computed only when a term needs it
  // (lambda1 != 0 or lambda_entropy != 0).
  explicit TSLoss(const ptune::v1::TSLossSpec& spec);

  // True when the loss is enabled and `step` is a multiple of `every`.
  bool Due(uint64_t step) const;
  // The warm-up weight w(step) in [0, 1].
  double WarmupWeight(uint64_t step) const;

  // prompt: n x d (requires_grad as the method produced it). Returns applied = false
  // and a zero loss on steps that are not Due. Throws c10::Error (message naming the
  // step) when the prompt has non-finite values, so the trainer reports "NaN at step N".
  TSLossValue Compute(const torch::Tensor& prompt, uint64_t step);

 private:
  const ptune::v1::TSLossSpec spec_;
  std::unique_ptr<topology::PersistenceLayer> layer_;
};

// The distance of a spec (DISTANCE_COSINE or Euclidean, the default).
topology::DistanceKind DistanceKindOf(ptune::v1::Distance distance);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_METHODS_TSLOSS_H_
