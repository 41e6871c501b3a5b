#include "worker/engine/training/optim.h"

#include <cmath>

namespace ptune::engine {
namespace {

constexpr double kPi = 3.14159265358979323846;

// One torch param group per ParamGroup, each with its own learning rate.
template <typename Optimizer, typename Options>
std::unique_ptr<torch::optim::Optimizer> Build(const std::vector<ParamGroup>& groups,
                                               double weight_decay) {
  std::vector<torch::optim::OptimizerParamGroup> torch_groups;
  for (const ParamGroup& g : groups) {
    torch_groups.emplace_back(g.params,
                              std::make_unique<Options>(Options(g.lr).weight_decay(weight_decay)));
  }
  return std::make_unique<Optimizer>(std::move(torch_groups), Options().weight_decay(weight_decay));
}

}  // namespace

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const std::vector<ParamGroup>& groups,
                                                       const ptune::v1::TrainSpec& train) {
  if (train.optimizer() == ptune::v1::OPTIMIZER_ADAM) {
    return Build<torch::optim::Adam, torch::optim::AdamOptions>(groups, train.weight_decay());
  }
  return Build<torch::optim::AdamW, torch::optim::AdamWOptions>(groups, train.weight_decay());
}

double LrMultiplier(uint64_t step, uint64_t total, uint64_t warmup,
                    ptune::v1::LrSchedule schedule) {
  if (warmup > 0 && step <= warmup) return static_cast<double>(step) / warmup;
  if (schedule == ptune::v1::LR_SCHEDULE_CONSTANT || total <= warmup) return 1.0;
  const double progress =
      std::min(1.0, static_cast<double>(step - warmup) / static_cast<double>(total - warmup));
  if (schedule == ptune::v1::LR_SCHEDULE_COSINE) return 0.5 * (1.0 + std::cos(kPi * progress));
  return 1.0 - progress;
}

std::vector<double> ApplyLearningRates(torch::optim::Optimizer& optimizer,
                                       const std::vector<double>& base_lrs, double multiplier) {
  std::vector<double> rates;
  auto& groups = optimizer.param_groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    rates.push_back(base_lrs[g] * multiplier);
    groups[g].options().set_lr(rates.back());
  }
  return rates;
}

double ClipGradNorm(const std::vector<torch::Tensor>& params, double max_norm) {
  std::vector<torch::Tensor> grads;
  for (const torch::Tensor& p : params) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  if (grads.empty()) return 0.0;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> norms;
  for (const torch::Tensor& g : grads) norms.push_back(g.to(torch::kFloat32).norm());
  const double total = torch::stack(norms).norm().item<double>();
  if (max_norm > 0 && total > max_norm) {
    const double scale = max_norm / (total + 1e-6);
    for (torch::Tensor& g : grads) g.mul_(scale);
  }
  return total;
}

}  // namespace ptune::engine
