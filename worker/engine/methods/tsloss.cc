#include "worker/engine/methods/tsloss.h"

#include <algorithm>
#include <chrono>

namespace ptune::engine {

topology::DistanceKind DistanceKindOf(ptune::v1::Distance distance) {
  return distance == ptune::v1::DISTANCE_COSINE ? topology::DistanceKind::kCosine
                                                : topology::DistanceKind::kEuclidean;
}

TSLoss::TSLoss(const ptune::v1::TSLossSpec& spec) : spec_(spec) {
  topology::PersistenceLayerOptions options;
  options.distance.kind = DistanceKindOf(spec.distance());
  options.distance.normalize = spec.normalize();
  options.rips.max_dim = (spec.lambda1() != 0 || spec.lambda_entropy() != 0) ? 1 : 0;
  auto layer = topology::PersistenceLayer::Create(options);
  TORCH_CHECK(layer.ok(), "TSLoss: ", layer.status().ToString());
  layer_ = *std::move(layer);
}

bool TSLoss::Due(uint64_t step) const {
  return spec_.enabled() && spec_.every() > 0 && step % spec_.every() == 0;
}

double TSLoss::WarmupWeight(uint64_t step) const {
  if (spec_.warmup_steps() == 0) return 1.0;
  return std::min(1.0, static_cast<double>(step) / spec_.warmup_steps());
}

TSLossValue TSLoss::Compute(const torch::Tensor& prompt, uint64_t step) {
  TSLossValue value;
  if (!Due(step)) {
    value.loss = torch::zeros({}, prompt.options().requires_grad(false));
    return value;
  }
  const auto start = std::chrono::steady_clock::now();
  // Checked here: the distance layer's sqrt guard would map NaN distances to 0.
  TORCH_CHECK(torch::isfinite(prompt.detach()).all().item<bool>(), "TSLoss at step ", step,
              ": the prompt has non-finite values");
  auto diagram = layer_->Compute(prompt);
  TORCH_CHECK(diagram.ok(), "TSLoss at step ", step, ": ", diagram.status().ToString());
  const torch::Tensor& h0 = diagram->h0_deaths;
  torch::Tensor l0 = spec_.has_h0_target() ? (h0 - spec_.h0_target()).abs().sum() : h0.sum();
  torch::Tensor l1 = topology::TotalPersistence(diagram->h1_births, diagram->h1_deaths);
  if (spec_.reduction() != ptune::v1::TSLOSS_REDUCTION_SUM) {
    // PER_POINT (the default; UNSPECIFIED when the spec was not defaulted): n - 1 H0 bars
    // would otherwise make L0 grow with the prompt length and drown the task loss.
    const double n = static_cast<double>(std::max<int64_t>(prompt.size(0), 1));
    l0 = l0 / n;
    l1 = l1 / n;
  }
  torch::Tensor le = torch::zeros({}, h0.options());
  if (spec_.lambda_entropy() != 0) {
    le = topology::PersistenceEntropy(torch::zeros_like(h0), h0) +
         topology::PersistenceEntropy(diagram->h1_births, diagram->h1_deaths);
  }
  const double w = WarmupWeight(step);
  value.loss = w * (spec_.lambda0() * l0 + spec_.lambda1() * l1 + spec_.lambda_entropy() * le);
  value.h0_term = l0.item<double>();
  value.h1_term = l1.item<double>();
  value.entropy_term = le.item<double>();
  value.applied = true;
  value.persistence_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return value;
}

}  // namespace ptune::engine
