// TSLoss (ptune's reconstruction, docs/methods.md "TSLoss"): values on clouds with known diagrams,
// gradients against finite differences, scale invariance, schedule and warm-up.
#include "worker/engine/methods/tsloss.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace ptune::engine {
namespace {

// Plain sums (reduction SUM), so the hand-computed diagrams below read directly.
ptune::v1::TSLossSpec Spec(float lambda0, float lambda1, float lambda_entropy, bool normalize) {
  ptune::v1::TSLossSpec spec;
  spec.set_enabled(true);
  spec.set_reduction(ptune::v1::TSLOSS_REDUCTION_SUM);
  spec.set_lambda0(lambda0);
  spec.set_lambda1(lambda1);
  spec.set_lambda_entropy(lambda_entropy);
  spec.set_normalize(normalize);
  spec.set_every(1);
  return spec;
}

torch::Tensor Double(std::vector<double> values, int64_t d) {
  return torch::tensor(values, torch::kDouble).view({-1, d});
}

TEST(TSLossTest, TermsMatchHandComputedDiagramOfASquare) {
  // Unit square: H0 deaths 1, 1, 1 (MST); one H1 bar born at 1 (last side) dying at
  // sqrt 2 (the diagonals fill it).
  TSLoss loss(Spec(1, 1, 0, /*normalize=*/false));
  const TSLossValue v = loss.Compute(Double({0, 0, 1, 0, 1, 1, 0, 1}, 2), 1);
  ASSERT_TRUE(v.applied);
  EXPECT_NEAR(v.h0_term, 3.0, 1e-9);
  EXPECT_NEAR(v.h1_term, std::sqrt(2.0) - 1.0, 1e-9);
  EXPECT_NEAR(v.loss.item<double>(), 3.0 + std::sqrt(2.0) - 1.0, 1e-9);
  EXPECT_GE(v.persistence_seconds, 0.0);
}

TEST(TSLossTest, PerPointReductionDividesTheTermsByTheRowCount) {
  // The unit square again (n = 4): L0 = 3/4, L1 = (sqrt 2 - 1)/4; the entropy term is
  // not reduced. PER_POINT is also what an unspecified reduction means.
  const torch::Tensor square = Double({0, 0, 1, 0, 1, 1, 0, 1}, 2);
  for (auto reduction :
       {ptune::v1::TSLOSS_REDUCTION_PER_POINT, ptune::v1::TSLOSS_REDUCTION_UNSPECIFIED}) {
    ptune::v1::TSLossSpec spec = Spec(1, 1, 0.5, /*normalize=*/false);
    spec.set_reduction(reduction);
    TSLoss loss(spec);
    const TSLossValue v = loss.Compute(square, 1);
    EXPECT_NEAR(v.h0_term, 0.75, 1e-9) << reduction;
    EXPECT_NEAR(v.h1_term, (std::sqrt(2.0) - 1.0) / 4, 1e-9) << reduction;
    TSLoss summed(Spec(1, 1, 0.5, false));
    const TSLossValue s = summed.Compute(square, 1);
    EXPECT_NEAR(v.entropy_term, s.entropy_term, 1e-12);
    EXPECT_NEAR(v.loss.item<double>(), 0.75 + (std::sqrt(2.0) - 1.0) / 4 + 0.5 * s.entropy_term,
                1e-9);
  }
}

TEST(TSLossTest, TargetScaleTermIsDistanceOfDeathsToEta) {
  // Collinear 0, 1, 3: H0 deaths 1 and 2; with eta = 1.5: |1 - 1.5| + |2 - 1.5| = 1.
  ptune::v1::TSLossSpec spec = Spec(2, 0, 0, false);
  spec.set_h0_target(1.5f);
  TSLoss loss(spec);
  const TSLossValue v = loss.Compute(Double({0, 1, 3}, 1), 1);
  EXPECT_NEAR(v.h0_term, 1.0, 1e-9);
  EXPECT_NEAR(v.loss.item<double>(), 2.0, 1e-9);
}

// Central differences of the loss in every coordinate against autograd, on a random
// cloud (tie-free with probability 1, and the pairing does not change within +-eps).
void ExpectGradientMatchesFiniteDifferences(const ptune::v1::TSLossSpec& spec) {
  torch::manual_seed(3);
  TSLoss loss(spec);
  torch::Tensor points = torch::randn({14, 3}, torch::kDouble).requires_grad_(true);
  const TSLossValue v = loss.Compute(points, 1);
  ASSERT_TRUE(v.applied);
  v.loss.backward();
  const torch::Tensor grad = points.grad();
  ASSERT_GT(grad.abs().sum().item<double>(), 0.0);
  const double eps = 1e-6;
  torch::Tensor x = points.detach().clone();
  for (int64_t i = 0; i < x.size(0); ++i) {
    for (int64_t j = 0; j < x.size(1); ++j) {
      const double saved = x[i][j].item<double>();
      x[i][j] = saved + eps;
      const double up = loss.Compute(x, 1).loss.item<double>();
      x[i][j] = saved - eps;
      const double down = loss.Compute(x, 1).loss.item<double>();
      x[i][j] = saved;
      // Relative tolerance: the entropy's gradient is large next to a short bar.
      const double fd = (up - down) / (2 * eps);
      EXPECT_NEAR(grad[i][j].item<double>(), fd, 1e-5 * std::max(1.0, std::abs(fd)))
          << i << "," << j;
    }
  }
}

TEST(TSLossGradientTest, ConnectivityTerm) {
  ExpectGradientMatchesFiniteDifferences(Spec(1, 0, 0, false));
}
TEST(TSLossGradientTest, RedundancyTerm) {
  torch::manual_seed(3);
  TSLoss probe(Spec(0, 1, 0, false));
  ASSERT_GT(probe.Compute(torch::randn({14, 3}, torch::kDouble), 1).h1_term, 0.0)
      << "the test cloud must have H1 bars";
  ExpectGradientMatchesFiniteDifferences(Spec(0, 1, 0, false));
}
TEST(TSLossGradientTest, EntropyTerm) {
  ExpectGradientMatchesFiniteDifferences(Spec(0, 0, 1, false));
}
TEST(TSLossGradientTest, AllTermsNormalised) {
  ExpectGradientMatchesFiniteDifferences(Spec(0.7, 1.3, 0.2, true));
}
TEST(TSLossGradientTest, TargetScaleCosine) {
  ptune::v1::TSLossSpec spec = Spec(1, 1, 0, true);
  spec.set_h0_target(0.4f);
  spec.set_distance(ptune::v1::DISTANCE_COSINE);
  ExpectGradientMatchesFiniteDifferences(spec);
}

TEST(TSLossGradientTest, PerPointReduction) {
  ptune::v1::TSLossSpec spec = Spec(0.7, 1.3, 0, true);
  spec.set_reduction(ptune::v1::TSLOSS_REDUCTION_PER_POINT);
  ExpectGradientMatchesFiniteDifferences(spec);
}

TEST(TSLossTest, NormalisedLossIsScaleInvariant) {
  torch::manual_seed(9);
  TSLoss loss(Spec(1, 1, 0.5, /*normalize=*/true));
  const torch::Tensor p = torch::randn({20, 8}, torch::kDouble);
  const double base = loss.Compute(p, 1).loss.item<double>();
  for (double c : {0.01, 3.7, 250.0}) {
    EXPECT_NEAR(loss.Compute(p * c, 1).loss.item<double>(), base, 1e-9 * std::abs(base)) << c;
  }
  // Without normalisation the trivial "shrink everything" minimum is open.
  TSLoss raw(Spec(1, 1, 0, false));
  EXPECT_NEAR(raw.Compute(p * 0.5, 1).loss.item<double>(),
              0.5 * raw.Compute(p, 1).loss.item<double>(), 1e-9);
}

TEST(TSLossTest, CosineDistanceIgnoresRowNorms) {
  torch::manual_seed(4);
  ptune::v1::TSLossSpec spec = Spec(1, 1, 0, false);
  spec.set_distance(ptune::v1::DISTANCE_COSINE);
  TSLoss loss(spec);
  const torch::Tensor p = torch::randn({16, 6}, torch::kDouble);
  const torch::Tensor scaled = p * (torch::rand({16, 1}, torch::kDouble) * 5 + 0.1);
  EXPECT_NEAR(loss.Compute(scaled, 1).loss.item<double>(), loss.Compute(p, 1).loss.item<double>(),
              1e-9);
}

TEST(TSLossTest, AppliedOnlyEveryKStepsAndWhenEnabled) {
  ptune::v1::TSLossSpec spec = Spec(1, 1, 0, true);
  spec.set_every(3);
  TSLoss loss(spec);
  const torch::Tensor p = torch::randn({10, 4}).requires_grad_(true);
  EXPECT_TRUE(loss.Compute(p, 3).applied);
  EXPECT_TRUE(loss.Compute(p, 6).applied);
  const TSLossValue skipped = loss.Compute(p, 4);
  EXPECT_FALSE(skipped.applied);
  EXPECT_EQ(skipped.loss.item<double>(), 0.0);
  EXPECT_EQ(skipped.h0_term, 0.0);
  spec.set_enabled(false);
  TSLoss off(spec);
  EXPECT_FALSE(off.Compute(p, 3).applied);
}

TEST(TSLossTest, WarmupRampsTheWeightLinearly) {
  ptune::v1::TSLossSpec spec = Spec(1, 1, 0, true);
  spec.set_warmup_steps(10);
  TSLoss warm(spec);
  TSLoss full(Spec(1, 1, 0, true));
  const torch::Tensor p = torch::randn({12, 4}, torch::kDouble);
  EXPECT_DOUBLE_EQ(warm.WarmupWeight(5), 0.5);
  EXPECT_DOUBLE_EQ(warm.WarmupWeight(40), 1.0);
  EXPECT_NEAR(warm.Compute(p, 5).loss.item<double>(), 0.5 * full.Compute(p, 5).loss.item<double>(),
              1e-12);
  // The terms are reported unweighted.
  EXPECT_DOUBLE_EQ(warm.Compute(p, 5).h0_term, full.Compute(p, 5).h0_term);
}

TEST(TSLossTest, NonFinitePromptThrowsNamingTheStep) {
  TSLoss loss(Spec(1, 1, 0, true));
  torch::Tensor p = torch::randn({6, 3});
  p[2][1] = std::nan("");
  try {
    loss.Compute(p, 17);
    FAIL() << "expected c10::Error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("step 17"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ptune::engine
