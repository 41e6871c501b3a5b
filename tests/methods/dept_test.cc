// DePT (docs/methods.md, "DePT"): the position-wise update, the init, the groups, the gradients.
#include "worker/engine/methods/dept.h"

#include <gtest/gtest.h>

#include "tests/support/tiny_backbone.h"
#include "worker/engine/methods/prompt_budget.h"

namespace ptune::engine {
namespace {

constexpr int64_t kVocab = 50, kDim = 16, kLen = 12, kShort = 5, kRank = 3;

DeptOptions Options() {
  DeptOptions o;
  o.lowrank = {kLen, kDim, kRank, 8.0};
  o.prompt_lr = 0.3;
  o.lowrank_lr = 2e-3;
  return o;
}

class DeptTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::manual_seed(7); }
  testing::TinyBackbone backbone_{kVocab, kDim};
};

TEST_F(DeptTest, StartsAsPlainPromptTuningBecauseBIsZero) {
  const torch::Tensor init = torch::randn({kShort, kDim});
  auto dept = DeptImpl::Create(Options(), init);
  ASSERT_TRUE(dept.ok()) << dept.status();
  const testing::TinyBatch batch = testing::MakeTinyBatch(3, kLen, kVocab);
  const torch::Tensor e = backbone_->EmbedTokens(batch.ids);
  const PromptedInput in = (*dept)->Apply(e, batch.mask);
  ASSERT_EQ(in.embeds.sizes(), (std::vector<int64_t>{3, kShort + kLen, kDim}));
  EXPECT_TRUE(torch::equal(in.embeds.slice(1, 0, kShort), init.expand({3, kShort, kDim})));
  EXPECT_TRUE(torch::equal(in.embeds.slice(1, kShort), e));
  EXPECT_TRUE(torch::equal(in.mask.slice(1, 0, kShort), torch::ones({3, kShort}, torch::kLong)));
  EXPECT_TRUE(torch::equal(in.mask.slice(1, kShort), batch.mask));
  EXPECT_TRUE(torch::equal((*dept)->VisiblePrompt(), init));
}

TEST_F(DeptTest, UpdatesEmbeddingsPositionWiseWithScaledLowRankProduct) {
  auto dept = DeptImpl::Create(Options(), torch::randn({kShort, kDim}));
  ASSERT_TRUE(dept.ok());
  torch::Tensor a, b;
  for (const auto& p : (*dept)->named_parameters()) {
    if (p.key() == "lowrank.A") a = p.value();
    if (p.key() == "lowrank.B") b = p.value();
  }
  ASSERT_TRUE(a.defined() && b.defined());
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{kLen, kRank}));
  EXPECT_EQ(b.sizes(), (std::vector<int64_t>{kRank, kDim}));
  // kaiming-uniform(a = sqrt 5) with fan-in r: |A| <= 1/sqrt(r), and not all zero.
  EXPECT_LE(a.abs().max().item<double>(), 1.0 / std::sqrt(double(kRank)) + 1e-6);
  EXPECT_GT(a.abs().sum().item<double>(), 0.0);
  {
    torch::NoGradGuard no_grad;
    b.normal_();
  }
  const testing::TinyBatch batch = testing::MakeTinyBatch(2, kLen, kVocab);
  const torch::Tensor e = backbone_->EmbedTokens(batch.ids);
  const torch::Tensor got = (*dept)->Apply(e, batch.mask).embeds.slice(1, kShort);
  const torch::Tensor want = e + (8.0 / std::sqrt(double(kRank))) * torch::mm(a, b).unsqueeze(0);
  EXPECT_TRUE(torch::allclose(got, want, 1e-6, 1e-6));
}

TEST_F(DeptTest, RejectsInputsNotPaddedToMaxSeqLen) {
  auto dept = DeptImpl::Create(Options(), torch::randn({kShort, kDim}));
  ASSERT_TRUE(dept.ok());
  const torch::Tensor e = torch::randn({2, kLen - 1, kDim});
  EXPECT_THROW((*dept)->Apply(e, torch::ones({2, kLen - 1})), c10::Error);
}

TEST_F(DeptTest, CreateRejectsAPromptOfTheWrongWidth) {
  auto dept = DeptImpl::Create(Options(), torch::randn({kShort, kDim + 1}));
  ASSERT_FALSE(dept.ok());
  EXPECT_EQ(dept.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(DeptTest, TwoGroupsCoverEveryParameterAndCountMatchesFormula) {
  auto dept = DeptImpl::Create(Options(), torch::randn({kShort, kDim}));
  ASSERT_TRUE(dept.ok());
  const std::vector<ParamGroup> groups = (*dept)->ParameterGroups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].name, "prompt");
  EXPECT_DOUBLE_EQ(groups[0].lr, 0.3);
  EXPECT_EQ(groups[1].name, "lowrank");
  EXPECT_DOUBLE_EQ(groups[1].lr, 2e-3);
  int64_t grouped = 0;
  for (const auto& g : groups)
    for (const auto& p : g.params) grouped += p.numel();
  int64_t registered = 0;
  for (const auto& p : (*dept)->parameters()) registered += p.numel();
  EXPECT_EQ(grouped, registered);
  EXPECT_EQ(registered, DeptParameters({kShort, kRank, kLen, kDim}));
}

TEST_F(DeptTest, GradientsReachEveryTrainableTensorAndNeverTheBackbone) {
  auto dept = DeptImpl::Create(Options(), torch::randn({kShort, kDim}));
  ASSERT_TRUE(dept.ok());
  for (const auto& p : (*dept)->named_parameters()) {
    // Off the init point (B = 0 makes dL/dA vanish there).
    if (p.key() == "lowrank.B") p.value().data().normal_();
  }
  const testing::TinyBatch batch = testing::MakeTinyBatch(3, kLen, kVocab);
  const PromptedInput in = (*dept)->Apply(backbone_->EmbedTokens(batch.ids), batch.mask);
  backbone_->Forward(in.embeds, in.mask).pow(2).sum().backward();
  for (const auto& p : (*dept)->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }
  for (const auto& p : backbone_->parameters()) {
    EXPECT_FALSE(p.requires_grad());
    EXPECT_FALSE(p.grad().defined());
  }
}

}  // namespace
}  // namespace ptune::engine
