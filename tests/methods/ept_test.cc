// EPT (ptune's reconstruction, docs/methods.md "EPT"): the properties that pin the math.
#include "worker/engine/methods/ept.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "tests/support/tiny_backbone.h"
#include "worker/engine/methods/dept.h"
#include "worker/engine/methods/prompt_budget.h"

namespace ptune::engine {
namespace {

constexpr int64_t kVocab = 50, kDim = 16, kLen = 10, kShort = 4, kRank = 3;

EptOptions Options(int64_t k, bool fusion, bool per_example) {
  EptOptions o;
  o.lowrank = {kLen, kDim, kRank, 8.0};
  o.subspaces = k;
  o.subspace_rank = 2;
  o.fusion = fusion;
  o.per_example_gate = per_example;
  return o;
}

std::map<std::string, torch::Tensor> Params(torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters()) out[p.key()] = p.value();
  return out;
}

// Loss of one forward pass through the tiny backbone (same batch for every method).
torch::Tensor Loss(PromptMethodImpl& method, testing::TinyBackboneImpl& backbone,
                   const testing::TinyBatch& batch) {
  const PromptedInput in = method.Apply(backbone.EmbedTokens(batch.ids), batch.mask);
  return backbone.Forward(in.embeds, in.mask).pow(2).sum();
}

struct EquivalenceCase {
  bool fusion;
  bool per_example;
};

class EptEqualsDeptTest : public ::testing::TestWithParam<EquivalenceCase> {};

// K = 1, gamma = 0 and V = 0 make EPT's prompt P_s and its input E': the same outputs
// and the same gradients for P_s, A and B, bit for bit.
TEST_P(EptEqualsDeptTest, SameOutputsAndGradientsBitForBit) {
  torch::manual_seed(11);
  testing::TinyBackbone backbone(kVocab, kDim);
  const torch::Tensor init = torch::randn({kShort, kDim});
  DeptOptions dept_options;
  dept_options.lowrank = {kLen, kDim, kRank, 8.0};
  auto dept = DeptImpl::Create(dept_options, init);
  auto ept = EptImpl::Create(Options(1, GetParam().fusion, GetParam().per_example), init);
  ASSERT_TRUE(dept.ok() && ept.ok());
  auto dp = Params(**dept);
  auto ep = Params(**ept);
  {
    torch::NoGradGuard no_grad;
    dp["lowrank.B"].normal_();  // a non-trivial low-rank update and fusion input
    ep["lowrank.A"].copy_(dp["lowrank.A"]);
    ep["lowrank.B"].copy_(dp["lowrank.B"]);
    ep["projection.gate_weight"].normal_();  // the K = 1 gate is 1 whatever its logits
  }
  const testing::TinyBatch batch = testing::MakeTinyBatch(3, kLen, kVocab);
  const PromptedInput din = (*dept)->Apply(backbone->EmbedTokens(batch.ids), batch.mask);
  const PromptedInput ein = (*ept)->Apply(backbone->EmbedTokens(batch.ids), batch.mask);
  EXPECT_TRUE(torch::equal(din.embeds, ein.embeds));
  EXPECT_TRUE(torch::equal(din.mask, ein.mask));
  EXPECT_TRUE(torch::equal((*dept)->VisiblePrompt(), (*ept)->VisiblePrompt()));
  Loss(**dept, *backbone, batch).backward();
  Loss(**ept, *backbone, batch).backward();
  for (const char* name : {"prompt", "lowrank.A", "lowrank.B"}) {
    ASSERT_TRUE(ep[name].grad().defined()) << name;
    EXPECT_TRUE(torch::equal(dp[name].grad(), ep[name].grad())) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(FusionAndGateInput, EptEqualsDeptTest,
                         ::testing::Values(EquivalenceCase{true, false},
                                           EquivalenceCase{false, false},
                                           EquivalenceCase{true, true}));

class EptTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::manual_seed(5); }
  // Moves every tensor off its init point so no gradient vanishes by construction.
  static void Perturb(EptImpl& ept) {
    torch::NoGradGuard no_grad;
    for (auto& p : ept.parameters()) p.add_(torch::randn_like(p) * 0.3);
  }
  testing::TinyBackbone backbone_{kVocab, kDim};
};

TEST_F(EptTest, GateWeightsArePositiveAndSumToOnePerExample) {
  auto ept = EptImpl::Create(Options(4, true, true), torch::randn({kShort, kDim}));
  ASSERT_TRUE(ept.ok());
  Perturb(**ept);
  const testing::TinyBatch batch = testing::MakeTinyBatch(5, kLen, kVocab);
  const EptForward f = (*ept)->Forward(backbone_->EmbedTokens(batch.ids), batch.mask);
  ASSERT_EQ(f.gate.sizes(), (std::vector<int64_t>{5, 4}));
  EXPECT_TRUE(torch::allclose(f.gate.sum(1), torch::ones({5}), 1e-6, 1e-6));
  EXPECT_GT(f.gate.min().item<double>(), 0.0);
  // Different inputs, different mixtures: the gate really is per example.
  EXPECT_GT((f.gate[0] - f.gate[4]).abs().max().item<double>(), 1e-4);
  ASSERT_EQ(f.reconstructed.sizes(), (std::vector<int64_t>{5, kShort, kDim}));
}

TEST_F(EptTest, TaskGateStartsUniformAndVisiblePromptIsTheReconstructedPrompt) {
  auto ept = EptImpl::Create(Options(4, true, false), torch::randn({kShort, kDim}));
  ASSERT_TRUE(ept.ok());
  const testing::TinyBatch batch = testing::MakeTinyBatch(2, kLen, kVocab);
  EptForward f = (*ept)->Forward(backbone_->EmbedTokens(batch.ids), batch.mask);
  EXPECT_TRUE(torch::allclose(f.gate, torch::full({4}, 0.25)));
  Perturb(**ept);
  f = (*ept)->Forward(backbone_->EmbedTokens(batch.ids), batch.mask);
  EXPECT_NEAR(f.gate.sum().item<double>(), 1.0, 1e-6);
  EXPECT_TRUE(torch::allclose((*ept)->VisiblePrompt(), f.reconstructed));
}

TEST_F(EptTest, ReconstructedPromptIsTheGatedSumOfSubspaceProjections) {
  auto ept = EptImpl::Create(Options(3, true, false), torch::randn({kShort, kDim}));
  ASSERT_TRUE(ept.ok());
  Perturb(**ept);
  auto p = Params(**ept);
  const torch::Tensor s = p["prompt"];
  const torch::Tensor k = torch::mm(p["lowrank.A"], p["lowrank.B"]);
  const torch::Tensor fused =
      s + p["fusion_gate"] * torch::mm(torch::softmax(torch::mm(s, k.t()) / 4.0, 1), k);
  const torch::Tensor g = torch::softmax(
      torch::mv(p["projection.gate_weight"], fused.mean(0)) + p["projection.gate_bias"], 0);
  torch::Tensor want = torch::zeros_like(fused);
  for (int64_t i = 0; i < 3; ++i) {
    want +=
        g[i] * (fused + torch::mm(torch::mm(fused, p["projection.U"][i]), p["projection.V"][i]));
  }
  EXPECT_TRUE(torch::allclose((*ept)->FusedPrompt(), fused, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose((*ept)->VisiblePrompt(), want, 1e-5, 1e-6));
}

struct CountCase {
  bool fusion;
  bool per_dim;
  bool per_example;
};

class EptCountTest : public ::testing::TestWithParam<CountCase> {};

TEST_P(EptCountTest, ParameterCountMatchesFormulaAndGroupsCoverEveryTensor) {
  EptOptions o = Options(3, GetParam().fusion, GetParam().per_example);
  o.fusion_gate_per_dim = GetParam().per_dim;
  auto ept = EptImpl::Create(o, torch::randn({kShort, kDim}));
  ASSERT_TRUE(ept.ok());
  ptune::v1::EptSpec spec;
  spec.set_subspaces(3);
  spec.set_subspace_rank(2);
  spec.set_fusion(GetParam().fusion);
  spec.set_fusion_gate_per_dim(GetParam().per_dim);
  spec.set_gate_input(GetParam().per_example ? ptune::v1::GATE_INPUT_EXAMPLE
                                             : ptune::v1::GATE_INPUT_TASK);
  int64_t registered = 0;
  for (const auto& p : (*ept)->parameters()) registered += p.numel();
  EXPECT_EQ(registered,
            DeptParameters({kShort, kRank, kLen, kDim}) + EptExtraParameters(spec, kDim));
  int64_t grouped = 0, tensors = 0;
  for (const auto& g : (*ept)->ParameterGroups())
    for (const auto& p : g.params) grouped += p.numel(), ++tensors;
  EXPECT_EQ(grouped, registered);
  EXPECT_EQ(tensors, static_cast<int64_t>((*ept)->parameters().size()));
}

INSTANTIATE_TEST_SUITE_P(Options, EptCountTest,
                         ::testing::Values(CountCase{true, false, false},
                                           CountCase{true, true, false},
                                           CountCase{false, false, false},
                                           CountCase{true, false, true}));

TEST_F(EptTest, GradientsReachEveryTrainableTensorAndNeverTheBackbone) {
  for (bool per_example : {false, true}) {
    EptOptions o = Options(4, true, per_example);
    o.fusion_gate_per_dim = true;
    auto ept = EptImpl::Create(o, torch::randn({kShort, kDim}));
    ASSERT_TRUE(ept.ok());
    Perturb(**ept);
    Loss(**ept, *backbone_, testing::MakeTinyBatch(3, kLen, kVocab)).backward();
    for (const auto& p : (*ept)->named_parameters()) {
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
    }
    for (const auto& p : backbone_->parameters()) {
      EXPECT_FALSE(p.requires_grad());
      EXPECT_FALSE(p.grad().defined());
    }
  }
}

TEST_F(EptTest, CreateRejectsNonPositiveSubspaceSettingsNamingTheField) {
  EptOptions o = Options(0, true, false);
  auto ept = EptImpl::Create(o, torch::randn({kShort, kDim}));
  ASSERT_FALSE(ept.ok());
  EXPECT_NE(ept.status().message().find("ept.subspaces"), std::string::npos);
  o = Options(2, true, false);
  o.subspace_rank = 0;
  ept = EptImpl::Create(o, torch::randn({kShort, kDim}));
  ASSERT_FALSE(ept.ok());
  EXPECT_NE(ept.status().message().find("ept.subspace_rank"), std::string::npos);
}

}  // namespace
}  // namespace ptune::engine
