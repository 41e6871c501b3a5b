// Deriving DePT's (m, r) from PT's budget, and the parameter-count formulas.
#include "worker/engine/methods/prompt_budget.h"

#include <gtest/gtest.h>

namespace ptune::engine {
namespace {

ptune::v1::JobSpec Spec(uint32_t length, uint32_t max_seq_len) {
  ptune::v1::JobSpec spec;
  spec.mutable_prompt()->set_length(length);
  spec.mutable_data()->set_max_seq_len(max_seq_len);
  return spec;
}

TEST(PromptBudgetTest, DerivesDeptPaperShapeFromPtBudget) {
  // docs/methods.md (DePT budget): l = 100, d = 768, L = 256 gives (m, r) = (60, 30), exactly l d.
  absl::StatusOr<DecomposedShape> s = ResolveDecomposedShape(Spec(100, 256), 768);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->short_length, 60);
  EXPECT_EQ(s->rank, 30);
  EXPECT_EQ(DeptParameters(*s), PtParameters(100, 768));
}

TEST(PromptBudgetTest, DerivedShapeNeverExceedsTheBudget) {
  for (uint32_t l : {10u, 20u, 100u, 150u}) {
    for (uint32_t len : {32u, 64u, 128u}) {
      absl::StatusOr<DecomposedShape> s = ResolveDecomposedShape(Spec(l, len), 256);
      ASSERT_TRUE(s.ok()) << s.status();
      EXPECT_LE(DeptParameters(*s), PtParameters(l, 256)) << l << " " << len;
      // The next rank up would overshoot: r is the largest that fits.
      DecomposedShape next = *s;
      ++next.rank;
      EXPECT_GT(DeptParameters(next), PtParameters(l, 256)) << l << " " << len;
    }
  }
}

TEST(PromptBudgetTest, UsesExplicitShapeWhenBothGiven) {
  ptune::v1::JobSpec spec = Spec(100, 64);
  spec.mutable_dept()->set_short_length(7);
  spec.mutable_dept()->set_rank(5);
  absl::StatusOr<DecomposedShape> s = ResolveDecomposedShape(spec, 256);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->short_length, 7);
  EXPECT_EQ(s->rank, 5);
  EXPECT_EQ(DeptParameters(*s), 7 * 256 + 64 * 5 + 5 * 256);
}

TEST(PromptBudgetTest, RejectsHalfGivenShapeNamingTheMissingField) {
  ptune::v1::JobSpec spec = Spec(100, 64);
  spec.mutable_dept()->set_short_length(7);
  absl::StatusOr<DecomposedShape> s = ResolveDecomposedShape(spec, 256);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("dept.rank"), std::string::npos);
}

TEST(PromptBudgetTest, RejectsBudgetTooSmallForRankOne) {
  absl::StatusOr<DecomposedShape> s = ResolveDecomposedShape(Spec(1, 64), 256);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("prompt.length"), std::string::npos);
}

TEST(PromptBudgetTest, EptExtrasFollowTheirFormula) {
  ptune::v1::EptSpec ept;
  ept.set_subspaces(4);
  ept.set_subspace_rank(4);
  ept.set_fusion(true);
  EXPECT_EQ(EptExtraParameters(ept, 256), 1 + 4 * 2 * 256 * 4 + 4 * 256 + 4);
  ept.set_fusion_gate_per_dim(true);
  ept.set_gate_input(ptune::v1::GATE_INPUT_EXAMPLE);
  EXPECT_EQ(EptExtraParameters(ept, 256), 256 + 4 * 2 * 256 * 4 + 4 * 512 + 4);
  ept.set_fusion(false);
  EXPECT_EQ(EptExtraParameters(ept, 256), 4 * 2 * 256 * 4 + 4 * 512 + 4);
}

}  // namespace
}  // namespace ptune::engine
