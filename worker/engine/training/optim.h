#ifndef PTUNE_WORKER_ENGINE_TRAINING_OPTIM_H_
#define PTUNE_WORKER_ENGINE_TRAINING_OPTIM_H_

// Optimizer construction over named parameter groups, learning-rate schedules written
// over param_groups (LibTorch 1.13 has no warm-up/cosine schedulers) and gradient
// clipping. Torch header.

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "ptune/v1/spec.pb.h"
#include "worker/engine/methods/prompt_method.h"

namespace ptune::engine {

// AdamW (decoupled weight decay) or Adam (L2 added to the gradient) with one torch param
// group per ParamGroup, in order, each starting at its group's lr. Betas (0.9, 0.999),
// eps 1e-8 as in PyTorch.
std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const std::vector<ParamGroup>& groups,
                                                       const ptune::v1::TrainSpec& train);

// Multiplier of the base learning rate at 1-based optimizer step `step` of `total`:
// linear warm-up step/warmup over the first `warmup` steps, then constant, linear decay
// to 0 at `total`, or cosine decay to 0 at `total`.
double LrMultiplier(uint64_t step, uint64_t total, uint64_t warmup, ptune::v1::LrSchedule schedule);

// Sets group g's lr to base_lrs[g] * multiplier; returns the new rates in group order.
std::vector<double> ApplyLearningRates(torch::optim::Optimizer& optimizer,
                                       const std::vector<double>& base_lrs, double multiplier);

// The global L2 norm of all gradients (before clipping); scales them down to `max_norm`
// when it is exceeded and max_norm > 0.
double ClipGradNorm(const std::vector<torch::Tensor>& params, double max_norm);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_TRAINING_OPTIM_H_
