// The factory: every method from a defaulted spec, shapes as documented, TSLoss on the
// prompt each method shows the backbone.
#include "worker/engine/methods/method_factory.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "common/spec_defaults.h"
#include "tests/support/tiny_backbone.h"
#include "worker/engine/methods/prompt_budget.h"
#include "worker/engine/methods/tsloss.h"

namespace ptune::engine {
namespace {

constexpr int64_t kVocab = 40, kDim = 16;

ptune::v1::JobSpec DefaultSpec(ptune::v1::Method method) {
  ptune::v1::JobSpec spec;
  spec.set_method(method);
  ApplySpecDefaults(&spec);
  return spec;
}

std::map<std::string, torch::Tensor> Params(torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters()) out[p.key()] = p.value();
  return out;
}

class MethodFactoryTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::manual_seed(1); }
  testing::TinyBackbone backbone_{kVocab, kDim};
};

TEST_F(MethodFactoryTest, BuildsEveryMethodWithDocumentedDefaults) {
  // Defaults: l = 100, L = 64; with d = 16 DePT derives m = 60, r = 40*16/80 = 8.
  for (auto method : {ptune::v1::METHOD_PT, ptune::v1::METHOD_DEPT, ptune::v1::METHOD_EPT}) {
    const ptune::v1::JobSpec spec = DefaultSpec(method);
    auto built = CreatePromptMethod(spec, backbone_->EmbeddingTable());
    ASSERT_TRUE(built.ok()) << built.status();
    const auto params = Params(**built);
    const int64_t expected_rows = method == ptune::v1::METHOD_PT ? 100 : 60;
    EXPECT_EQ(params.at("prompt").sizes(), (std::vector<int64_t>{expected_rows, kDim}));
    int64_t total = 0;
    for (const auto& [name, p] : params) total += p.numel();
    const DecomposedShape shape{60, 8, 64, kDim};
    if (method == ptune::v1::METHOD_PT) {
      EXPECT_EQ((*built)->method_name(), "pt");
      EXPECT_EQ(total, PtParameters(100, kDim));
    } else if (method == ptune::v1::METHOD_DEPT) {
      EXPECT_EQ((*built)->method_name(), "dept");
      EXPECT_EQ(params.at("lowrank.A").sizes(), (std::vector<int64_t>{64, 8}));
      EXPECT_EQ(total, DeptParameters(shape));
      EXPECT_LE(total, PtParameters(100, kDim));
    } else {
      EXPECT_EQ((*built)->method_name(), "ept");
      EXPECT_EQ(total, DeptParameters(shape) + EptExtraParameters(spec.ept(), kDim));
    }
    // Learning rates come from the spec: prompt.lr and dept.lowrank_lr.
    const auto groups = (*built)->ParameterGroups();
    EXPECT_DOUBLE_EQ(groups[0].lr, spec.prompt().lr());
    if (groups.size() > 1) {
      EXPECT_DOUBLE_EQ(groups[1].lr, spec.dept().lowrank_lr());
    }
  }
}

TEST_F(MethodFactoryTest, TSLossGradientReachesThePromptOfEveryMethod) {
  ptune::v1::JobSpec base = DefaultSpec(ptune::v1::METHOD_PT);
  base.mutable_tsloss()->set_enabled(true);
  for (auto method : {ptune::v1::METHOD_PT, ptune::v1::METHOD_DEPT, ptune::v1::METHOD_EPT}) {
    ptune::v1::JobSpec spec = base;
    spec.set_method(method);
    auto built = CreatePromptMethod(spec, backbone_->EmbeddingTable());
    ASSERT_TRUE(built.ok()) << built.status();
    TSLoss loss(spec.tsloss());
    const TSLossValue v = loss.Compute((*built)->VisiblePrompt(), 1);
    ASSERT_TRUE(v.applied);
    EXPECT_GT(v.h0_term, 0.0);
    v.loss.backward();
    const torch::Tensor grad = Params(**built).at("prompt").grad();
    ASSERT_TRUE(grad.defined()) << (*built)->method_name();
    EXPECT_GT(grad.abs().sum().item<double>(), 0.0) << (*built)->method_name();
  }
}

TEST_F(MethodFactoryTest, TextInitNeedsTokenIdsAndRepeatsThem) {
  ptune::v1::JobSpec spec = DefaultSpec(ptune::v1::METHOD_DEPT);
  spec.mutable_prompt()->set_init(ptune::v1::PROMPT_INIT_TEXT);
  auto missing = CreatePromptMethod(spec, backbone_->EmbeddingTable());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("prompt.init_text"), std::string::npos);
  auto built = CreatePromptMethod(spec, backbone_->EmbeddingTable(), {3, 7});
  ASSERT_TRUE(built.ok()) << built.status();
  const torch::Tensor prompt = Params(**built).at("prompt");
  const torch::Tensor table = backbone_->EmbeddingTable();
  EXPECT_TRUE(torch::equal(prompt[0], table[3]));
  EXPECT_TRUE(torch::equal(prompt[1], table[7]));
  EXPECT_TRUE(torch::equal(prompt[59], table[7]));
}

TEST_F(MethodFactoryTest, VocabInitCopiesEmbeddingRows) {
  ptune::v1::JobSpec spec = DefaultSpec(ptune::v1::METHOD_PT);
  spec.mutable_prompt()->set_init(ptune::v1::PROMPT_INIT_VOCAB);
  auto built = CreatePromptMethod(spec, backbone_->EmbeddingTable());
  ASSERT_TRUE(built.ok());
  const torch::Tensor prompt = Params(**built).at("prompt");
  const torch::Tensor table = backbone_->EmbeddingTable();
  for (int64_t i = 0; i < prompt.size(0); ++i) {
    EXPECT_TRUE((table - prompt[i]).abs().sum(1).eq(0).any().item<bool>()) << i;
  }
}

TEST_F(MethodFactoryTest, HalfGivenDecompositionIsRejectedNamingTheField) {
  ptune::v1::JobSpec spec = DefaultSpec(ptune::v1::METHOD_EPT);
  spec.mutable_dept()->set_short_length(10);
  auto built = CreatePromptMethod(spec, backbone_->EmbeddingTable());
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(built.status().message().find("dept.rank"), std::string::npos);
}

}  // namespace
}  // namespace ptune::engine
