// Checkpoint bytes: round trip of tensors, optimizer moments and meta; refusal of
// checkpoints of another shape/method and of garbage.
#include "worker/engine/training/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nlohmann/json.hpp"

namespace ptune::engine {
namespace {

using ::testing::HasSubstr;

struct OptimizedParam {
  torch::Tensor param = torch::randn({3, 4}).set_requires_grad(true);
  std::unique_ptr<torch::optim::AdamW> optimizer = std::make_unique<torch::optim::AdamW>(
      std::vector<torch::Tensor>{param}, torch::optim::AdamWOptions(0.1));
  void TakeStep() {
    optimizer->zero_grad();
    (param * param).sum().backward();
    optimizer->step();
  }
};

CheckpointState StateOf(OptimizedParam& s, uint64_t step) {
  CheckpointState state;
  state.step = step;
  state.method = "pt";
  state.spec_fingerprint = "abc";
  state.params = {{"method.prompt", s.param}};
  state.early_stopping.has_best = true;
  state.early_stopping.best_score = 0.75;
  state.early_stopping.evals_since_best = 2;
  state.best = {{"method.prompt", s.param.detach() * 2}};
  state.cpu_rng_state = at::detail::getDefaultCPUGenerator().get_state();
  return state;
}

TEST(CheckpointTest, RoundTripRestoresTensorsOptimizerAndMeta) {
  torch::manual_seed(1);
  OptimizedParam a;
  a.TakeStep();
  a.TakeStep();
  const std::string bytes = SaveCheckpoint(StateOf(a, 2), *a.optimizer);

  OptimizedParam b;  // fresh parameter and optimizer
  auto state = LoadCheckpoint(bytes, {{"method.prompt", b.param}}, "pt", *b.optimizer);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->step, 2u);
  EXPECT_TRUE(state->early_stopping.has_best);
  EXPECT_DOUBLE_EQ(state->early_stopping.best_score, 0.75);
  EXPECT_EQ(state->early_stopping.evals_since_best, 2u);
  EXPECT_TRUE(torch::equal(state->params[0].second, a.param.detach()));
  EXPECT_TRUE(torch::equal(state->best[0].second, a.param.detach() * 2));
  // Same optimizer state: one more identical step gives identical parameters.
  {
    torch::NoGradGuard no_grad;
    b.param.copy_(state->params[0].second);
  }
  a.TakeStep();
  b.TakeStep();
  EXPECT_TRUE(torch::equal(a.param, b.param));
}

TEST(CheckpointTest, MetaIsReadableJson) {
  OptimizedParam s;
  const std::string bytes = SaveCheckpoint(StateOf(s, 7), *s.optimizer);
  auto meta = CheckpointMetaJson(bytes);
  ASSERT_TRUE(meta.ok()) << meta.status();
  const nlohmann::json json = nlohmann::json::parse(*meta);
  EXPECT_EQ(json["format"], "ptune-checkpoint");
  EXPECT_EQ(json["step"], 7);
  EXPECT_EQ(json["params"]["method.prompt"], nlohmann::json({3, 4}));
}

TEST(CheckpointTest, RefusesOtherShapesOtherMethodsAndGarbage) {
  OptimizedParam s;
  const std::string bytes = SaveCheckpoint(StateOf(s, 1), *s.optimizer);
  OptimizedParam other;
  torch::Tensor wider = torch::zeros({3, 5});
  auto shape = LoadCheckpoint(bytes, {{"method.prompt", wider}}, "pt", *other.optimizer);
  EXPECT_EQ(shape.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(shape.status().message()), HasSubstr("trainable tensors differ"));
  auto method = LoadCheckpoint(bytes, {{"method.prompt", other.param}}, "ept", *other.optimizer);
  EXPECT_EQ(method.status().code(), absl::StatusCode::kFailedPrecondition);
  auto garbage =
      LoadCheckpoint("not a checkpoint", {{"method.prompt", other.param}}, "pt", *other.optimizer);
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ptune::engine
