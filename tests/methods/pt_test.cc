// Vanilla prompt tuning: shapes, mask, the one parameter group, gradient flow.
#include "worker/engine/methods/pt.h"

#include <gtest/gtest.h>

#include "tests/support/tiny_backbone.h"
#include "worker/engine/methods/prompt_init.h"

namespace ptune::engine {
namespace {

TEST(PtTest, PrependsThePromptAndExtendsTheMask) {
  auto pt = PtImpl::Create(PtOptions{0.3}, torch::randn({5, 8}));
  ASSERT_TRUE(pt.ok()) << pt.status();
  const torch::Tensor embeds = torch::randn({2, 3, 8});
  const torch::Tensor mask = torch::tensor({{1.f, 1.f, 0.f}, {1.f, 0.f, 0.f}});
  const PromptedInput input = (*pt)->Apply(embeds, mask);
  EXPECT_EQ(input.embeds.sizes(), (std::vector<int64_t>{2, 8, 8}));
  EXPECT_TRUE(torch::equal(input.embeds.slice(1, 0, 5)[1], (*pt)->VisiblePrompt()));
  EXPECT_TRUE(torch::equal(input.embeds.slice(1, 5), embeds));
  EXPECT_EQ(input.mask.sum(1).to(torch::kLong)[1].item<int64_t>(), 6);
  EXPECT_EQ((*pt)->method_name(), "pt");
}

TEST(PtTest, OnlyThePromptTrainsInOneGroup) {
  auto pt = PtImpl::Create(PtOptions{0.25}, torch::zeros({4, 6}));
  ASSERT_TRUE(pt.ok());
  const auto groups = (*pt)->ParameterGroups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].name, "prompt");
  EXPECT_DOUBLE_EQ(groups[0].lr, 0.25);
  ASSERT_EQ((*pt)->parameters().size(), 1u);
  const PromptedInput input = (*pt)->Apply(torch::randn({1, 2, 6}), torch::ones({1, 2}));
  input.embeds.pow(2).sum().backward();
  EXPECT_TRUE(groups[0].params[0].grad().defined());
}

TEST(PtTest, RejectsBadShapesAndRates) {
  EXPECT_FALSE(PtImpl::Create(PtOptions{0.3}, torch::zeros({0, 4})).ok());
  EXPECT_FALSE(PtImpl::Create(PtOptions{0.3}, torch::zeros({4})).ok());
  EXPECT_FALSE(PtImpl::Create(PtOptions{0.0}, torch::zeros({2, 4})).ok());
}

TEST(PtTest, TextInitCopiesTheTokenEmbeddings) {
  testing::TinyBackboneImpl backbone(32, 8, 3);
  testing::WordTokenizer tokenizer(32);
  ptune::v1::PromptSpec spec;
  spec.set_init(ptune::v1::PROMPT_INIT_TEXT);
  const std::vector<int64_t> ids = tokenizer.Encode("classify the sentiment");
  auto rows = InitialPromptRows(spec, backbone.EmbeddingTable(), 5, ids);
  ASSERT_TRUE(rows.ok()) << rows.status();
  auto pt = PtImpl::Create(PtOptions{0.3}, *rows);
  ASSERT_TRUE(pt.ok());
  const torch::Tensor table = backbone.EmbeddingTable();
  EXPECT_TRUE(torch::equal((*pt)->VisiblePrompt()[3], table[ids[0]]));  // repeated
}

}  // namespace
}  // namespace ptune::engine
