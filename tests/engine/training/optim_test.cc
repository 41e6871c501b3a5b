// LR schedules over param groups, gradient clipping, and the evaluation metrics.
#include "worker/engine/training/optim.h"

#include <gtest/gtest.h>

#include "worker/engine/training/metrics.h"

namespace ptune::engine {
namespace {

TEST(LrScheduleTest, WarmupThenLinearOrCosineDecayToZero) {
  using ptune::v1::LR_SCHEDULE_CONSTANT;
  using ptune::v1::LR_SCHEDULE_COSINE;
  using ptune::v1::LR_SCHEDULE_LINEAR;
  EXPECT_DOUBLE_EQ(LrMultiplier(1, 100, 10, LR_SCHEDULE_LINEAR), 0.1);
  EXPECT_DOUBLE_EQ(LrMultiplier(10, 100, 10, LR_SCHEDULE_LINEAR), 1.0);
  EXPECT_DOUBLE_EQ(LrMultiplier(55, 100, 10, LR_SCHEDULE_LINEAR), 0.5);
  EXPECT_DOUBLE_EQ(LrMultiplier(100, 100, 10, LR_SCHEDULE_LINEAR), 0.0);
  EXPECT_NEAR(LrMultiplier(55, 100, 10, LR_SCHEDULE_COSINE), 0.5, 1e-12);
  EXPECT_NEAR(LrMultiplier(100, 100, 10, LR_SCHEDULE_COSINE), 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(LrMultiplier(80, 100, 10, LR_SCHEDULE_CONSTANT), 1.0);
  EXPECT_DOUBLE_EQ(LrMultiplier(5, 100, 0, LR_SCHEDULE_CONSTANT), 1.0);
}

TEST(OptimizerTest, EachParamGroupKeepsItsOwnLearningRate) {
  torch::Tensor a = torch::ones({2}).set_requires_grad(true);
  torch::Tensor b = torch::ones({2}).set_requires_grad(true);
  ptune::v1::TrainSpec train;
  train.set_weight_decay(0);
  for (auto kind : {ptune::v1::OPTIMIZER_ADAMW, ptune::v1::OPTIMIZER_ADAM}) {
    train.set_optimizer(kind);
    auto optimizer = MakeOptimizer({{"prompt", {a}, 0.3}, {"lowrank", {b}, 1e-3}}, train);
    ASSERT_EQ(optimizer->param_groups().size(), 2u);
    EXPECT_EQ(ApplyLearningRates(*optimizer, {0.3, 1e-3}, 0.5), (std::vector<double>{0.15, 5e-4}));
    EXPECT_DOUBLE_EQ(optimizer->param_groups()[1].options().get_lr(), 5e-4);
    optimizer->zero_grad();
    (a.sum() + b.sum()).backward();
    optimizer->step();
    // Adam's first step moves each parameter by ~lr.
    EXPECT_NEAR(a[0].item<double>(), 1 - 0.15, 1e-4);
    EXPECT_NEAR(b[0].item<double>(), 1 - 5e-4, 1e-6);
    torch::NoGradGuard no_grad;
    a.fill_(1);
    b.fill_(1);
  }
}

TEST(ClipGradNormTest, ReportsTheNormAndScalesDownOnlyAboveTheLimit) {
  torch::Tensor p = torch::zeros({2}).set_requires_grad(true);
  (p * torch::tensor({3.0f, 4.0f})).sum().backward();
  EXPECT_NEAR(ClipGradNorm({p}, 10.0), 5.0, 1e-6);
  EXPECT_NEAR(p.grad().norm().item<double>(), 5.0, 1e-6);
  EXPECT_NEAR(ClipGradNorm({p}, 1.0), 5.0, 1e-6);
  EXPECT_NEAR(p.grad().norm().item<double>(), 1.0, 1e-5);
}

TEST(MetricsTest, AccuracyMacroF1AndCorrelations) {
  const std::vector<int> gold = {0, 0, 1, 1, 2};
  const std::vector<int> pred = {0, 1, 1, 1, 0};
  EXPECT_DOUBLE_EQ(Accuracy(pred, gold), 0.6);
  // F1: class 0 = 2*1/(2+1+1) = 0.5, class 1 = 2*2/(4+1+0) = 0.8, class 2 = 0.
  EXPECT_NEAR(MacroF1(pred, gold, 3), (0.5 + 0.8 + 0.0) / 3, 1e-12);
  EXPECT_NEAR(Pearson({1, 2, 3}, {2, 4, 6}), 1.0, 1e-12);
  EXPECT_NEAR(Pearson({1, 2, 3}, {3, 2, 1}), -1.0, 1e-12);
  EXPECT_NEAR(Spearman({1, 2, 3, 4}, {1, 10, 100, 1000}), 1.0, 1e-12);
  EXPECT_NEAR(Spearman({1, 2, 2, 3}, {1, 2, 2, 3}), 1.0, 1e-12);  // ties share ranks
  EXPECT_DOUBLE_EQ(MeanSquaredError({1, 2}, {2, 4}), 2.5);
  EXPECT_DOUBLE_EQ(Pearson({1, 1, 1}, {1, 2, 3}), 0.0);
}

}  // namespace
}  // namespace ptune::engine
