// Topology telemetry of the prompt: summary figures and the diagram with its simplices.
#include "worker/engine/methods/topology_report.h"

#include <gtest/gtest.h>

#include <cmath>

namespace ptune::engine {
namespace {

ptune::v1::TopologySpec Spec(uint32_t every, uint32_t diagram_every, float scale) {
  ptune::v1::TopologySpec spec;
  spec.set_every(every);
  spec.set_diagram_every(diagram_every);
  spec.set_reference_scale(scale);
  return spec;
}

torch::Tensor UnitSquare() {
  return torch::tensor({0., 0., 1., 0., 1., 1., 0., 1.}, torch::kDouble).view({4, 2});
}

TEST(TopologyReporterTest, SummaryOfAUnitSquareInMeanDistanceUnits) {
  TopologyReporter reporter(Spec(10, 50, 1.0f));
  const ptune::v1::TopologySnapshot snap = reporter.Snapshot(UnitSquare(), 10);
  const double mean = (4 + 2 * std::sqrt(2.0)) / 6;
  const ptune::v1::TopologySummary& s = snap.summary();
  EXPECT_EQ(snap.step(), 10u);
  EXPECT_EQ(s.points(), 4u);
  EXPECT_EQ(s.h0_bars(), 3u);
  EXPECT_EQ(s.h1_bars(), 1u);
  EXPECT_NEAR(s.mean_distance(), mean, 1e-9);
  EXPECT_NEAR(s.diameter(), std::sqrt(2.0), 1e-9);
  EXPECT_NEAR(s.h0_total_persistence(), 3 / mean, 1e-9);
  EXPECT_NEAR(s.h1_total_persistence(), (std::sqrt(2.0) - 1) / mean, 1e-9);
  EXPECT_NEAR(s.h1_max_lifetime(), (std::sqrt(2.0) - 1) / mean, 1e-9);
  EXPECT_NEAR(s.h0_entropy(), std::log(3.0), 1e-9);  // three equal bars
  EXPECT_NEAR(s.h1_entropy(), 0.0, 1e-12);
  // Scale 1.0 (in mean units) lies inside the H1 bar [0.879, 1.243): one component,
  // one loop.
  EXPECT_EQ(s.betti0_at_scale(), 1u);
  EXPECT_EQ(s.betti1_at_scale(), 1u);
  EXPECT_GE(snap.persistence_seconds(), 0.0);
  EXPECT_EQ(snap.pairs_size(), 0);  // step 10 is not a diagram step
}

TEST(TopologyReporterTest, BettiNumbersBeforeAnyEdge) {
  TopologyReporter reporter(Spec(1, 0, 0.5f));
  const ptune::v1::TopologySummary s = reporter.Snapshot(UnitSquare(), 1).summary();
  EXPECT_EQ(s.betti0_at_scale(), 4u);
  EXPECT_EQ(s.betti1_at_scale(), 0u);
}

TEST(TopologyReporterTest, DiagramStepsCarryPairsWithTheirSimplices) {
  TopologyReporter reporter(Spec(10, 50, 1.0f));
  const ptune::v1::TopologySnapshot snap = reporter.Snapshot(UnitSquare(), 100);
  int h0_finite = 0, h0_infinite = 0, h1 = 0;
  for (const ptune::v1::PersistencePair& p : snap.pairs()) {
    if (p.dim() == 0 && std::isinf(p.death())) {
      ++h0_infinite;
      EXPECT_EQ(p.death_simplex_size(), 0);
    } else if (p.dim() == 0) {
      ++h0_finite;
      EXPECT_EQ(p.birth_simplex_size(), 1);
      ASSERT_EQ(p.death_simplex_size(), 2);
      // The killing edge is a side of the square (length 1).
      const int a = p.death_simplex(0), b = p.death_simplex(1);
      EXPECT_NEAR((UnitSquare()[a] - UnitSquare()[b]).norm().item<double>(), 1.0, 1e-12);
    } else {
      ++h1;
      ASSERT_EQ(p.birth_simplex_size(), 2);
      ASSERT_EQ(p.death_simplex_size(), 2);
      const int c = p.death_simplex(0), e = p.death_simplex(1);
      EXPECT_NEAR((UnitSquare()[c] - UnitSquare()[e]).norm().item<double>(), std::sqrt(2.0), 1e-12);
    }
  }
  EXPECT_EQ(h0_finite, 3);
  EXPECT_EQ(h0_infinite, 1);
  EXPECT_EQ(h1, 1);
}

TEST(TopologyReporterTest, ScheduleFollowsEveryAndDiagramEvery) {
  TopologyReporter reporter(Spec(10, 50, 1.0f));
  EXPECT_TRUE(reporter.Due(20));
  EXPECT_FALSE(reporter.Due(25));
  EXPECT_TRUE(reporter.DiagramDue(50));
  EXPECT_FALSE(reporter.DiagramDue(60));
  TopologyReporter off(Spec(0, 0, 1.0f));
  EXPECT_FALSE(off.Due(10));
  EXPECT_FALSE(off.DiagramDue(50));
}

TEST(TopologyReporterTest, RecordsNoGradientAndIsScaleFreeInBarUnits) {
  TopologyReporter reporter(Spec(1, 0, 1.0f));
  torch::manual_seed(2);
  const torch::Tensor p = torch::randn({30, 8}).requires_grad_(true);
  const auto a = reporter.Snapshot(p, 1).summary();
  const auto b = reporter.Snapshot(p * 4, 1).summary();
  EXPECT_FALSE(p.grad().defined());
  EXPECT_NEAR(a.h0_total_persistence(), b.h0_total_persistence(), 1e-4);
  EXPECT_NEAR(b.mean_distance(), 4 * a.mean_distance(), 1e-4);
}

}  // namespace
}  // namespace ptune::engine
