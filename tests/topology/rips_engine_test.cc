// RipsEngine against the two oracles (ripser CLI, GUDHI in-process) on the shapes the
// issue lists, plus the engine's own contract (simplices, tie order, reuse, errors).
#include "worker/topology/rips_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "tests/topology/diagram_oracles.h"
#include "worker/topology/diagram_summary.h"

namespace ptune::topology {
namespace {

using testing::Bar;
using testing::Matrix;

Diagram Compute(const Matrix& m, RipsOptions options = {}) {
  auto engine = RipsEngine::Create(options).value();
  Diagram diagram;
  EXPECT_TRUE(engine->ComputeSquare(m.values.data(), m.n, &diagram).ok());
  return diagram;
}

double MaxValue(const Matrix& m) {
  return std::max(1.0, static_cast<double>(*std::max_element(m.values.begin(), m.values.end())));
}

// ripser prints 6 significant digits.
void ExpectMatchesRipser(const Matrix& m, const Diagram& ours, const std::string& extra = "") {
  std::string why;
  EXPECT_TRUE(testing::MatchWithin(testing::Bars(ours), testing::RunRipser(m, extra),
                                   1e-5 * MaxValue(m), &why))
      << why;
}

void ExpectMatchesGudhi(const Matrix& m, const Diagram& ours) {
  std::string why;
  EXPECT_TRUE(testing::MatchWithin(testing::Bars(ours),
                                   testing::RunGudhi(m, testing::EnclosingRadius(m)),
                                   1e-6 * MaxValue(m), &why))
      << why;
}

// Every value must be the distance at the reported simplices.
void ExpectSimplicesConsistent(const Matrix& m, const Diagram& d) {
  for (const PersistencePair& p : d.pairs) {
    if (p.dim == 1) EXPECT_EQ(p.birth, m.at(p.birth_simplex[0], p.birth_simplex[1]));
    if (p.finite()) {
      EXPECT_GT(p.death_edge[0], p.death_edge[1]);
      EXPECT_EQ(p.death, m.at(p.death_edge[0], p.death_edge[1]));
    }
  }
}

struct CloudCase {
  int n, d;
  uint64_t seed;
};

class RipsVsRipser : public ::testing::TestWithParam<CloudCase> {};

TEST_P(RipsVsRipser, GaussianCloud) {
  const CloudCase c = GetParam();
  const Matrix m = testing::Euclidean(testing::GaussianCloud(c.n, c.d, c.seed));
  const Diagram ours = Compute(m);
  ExpectMatchesRipser(m, ours);
  ExpectSimplicesConsistent(m, ours);
}

INSTANTIATE_TEST_SUITE_P(Clouds, RipsVsRipser,
                         ::testing::Values(CloudCase{8, 768, 1}, CloudCase{16, 768, 2},
                                           CloudCase{64, 768, 3}, CloudCase{128, 768, 4},
                                           CloudCase{256, 768, 5}, CloudCase{512, 768, 6},
                                           CloudCase{100, 2, 7}, CloudCase{200, 3, 8},
                                           CloudCase{300, 2, 9}, CloudCase{150, 10, 10}));

class RipsVsGudhi : public ::testing::TestWithParam<CloudCase> {};

TEST_P(RipsVsGudhi, GaussianCloud) {
  const CloudCase c = GetParam();
  const Matrix m = testing::Euclidean(testing::GaussianCloud(c.n, c.d, c.seed));
  ExpectMatchesGudhi(m, Compute(m));
}

INSTANTIATE_TEST_SUITE_P(Clouds, RipsVsGudhi,
                         ::testing::Values(CloudCase{8, 768, 11}, CloudCase{32, 768, 12},
                                           CloudCase{64, 768, 13}, CloudCase{60, 2, 14},
                                           CloudCase{90, 3, 15}));

int LongBars(const Diagram& d, int dim, double min_persistence) {
  int count = 0;
  for (const PersistencePair& p : d.pairs) {
    if (p.dim == dim && p.persistence() > min_persistence) ++count;
  }
  return count;
}

TEST(RipsShapes, CircleHasExactlyOneLongLoop) {
  const Matrix m = testing::Euclidean(testing::NoisyCircle(64, 1, 0, 0, 0.01, 1));
  const Diagram d = Compute(m);
  EXPECT_EQ(LongBars(d, 1, 0.5), 1);
  ExpectMatchesRipser(m, d);
  ExpectMatchesGudhi(m, d);
}

TEST(RipsShapes, TwoCirclesAndFigureEightHaveTwoLongLoops) {
  testing::Points two = testing::NoisyCircle(40, 1, 0, 0, 0.01, 2);
  const testing::Points other = testing::NoisyCircle(40, 1, 5, 0, 0.01, 3);
  two.insert(two.end(), other.begin(), other.end());
  for (const testing::Points& points : {two, testing::FigureEight(80, 4)}) {
    const Matrix m = testing::Euclidean(points);
    const Diagram d = Compute(m);
    EXPECT_EQ(LongBars(d, 1, 0.5), 2);
    ExpectMatchesRipser(m, d);
    ExpectMatchesGudhi(m, d);
  }
}

TEST(RipsShapes, ClustersGiveLongH0Bars) {
  const Matrix m = testing::Euclidean(testing::Clusters(3, 20, 5, 0.1, 5));
  const Diagram d = Compute(m);
  EXPECT_EQ(LongBars(d, 0, 10), 3);  // two finite merges + the infinite bar
  EXPECT_EQ(Summarize(d).dim[0].infinite_bars, 1);
  ExpectMatchesRipser(m, d);
  ExpectMatchesGudhi(m, d);
}

TEST(RipsShapes, DuplicatePointsAndZeroDistances) {
  testing::Points points = testing::GaussianCloud(30, 4, 6);
  for (int i = 0; i < 10; ++i) points.push_back(points[i * 2]);
  const Matrix m = testing::Euclidean(points);
  const Diagram d = Compute(m);
  // Zero-length bars are not reported: 30 distinct points give 29 finite H0 bars.
  EXPECT_EQ(Summarize(d).dim[0].finite_bars, 29);
  ExpectMatchesRipser(m, d);
  ExpectMatchesGudhi(m, d);
}

TEST(RipsShapes, GridWithMassiveTiesMatchesBothOracles) {
  testing::Points grid;
  for (int i = 0; i < 12; ++i) {
    for (int j = 0; j < 12; ++j) grid.push_back({1.0 * i, 1.0 * j});
  }
  const Matrix m = testing::Euclidean(grid);
  const Diagram d = Compute(m);
  EXPECT_EQ(Summarize(d).dim[1].finite_bars, 121);  // one square per unit cell
  ExpectMatchesRipser(m, d);
  ExpectMatchesGudhi(m, d);
  ExpectSimplicesConsistent(m, d);
}

TEST(RipsShapes, SingleAndTwoPoints) {
  const Diagram one = Compute(testing::Euclidean({{1.0, 2.0}}));
  ASSERT_EQ(one.pairs.size(), 1u);
  EXPECT_FALSE(one.pairs[0].finite());
  EXPECT_EQ(one.pairs[0].birth_simplex[0], 0);

  const Matrix two = testing::Euclidean({{0.0, 0.0}, {3.0, 4.0}});
  const Diagram d = Compute(two);
  ASSERT_EQ(d.pairs.size(), 2u);
  EXPECT_EQ(d.pairs[0].death, 5.0);
  EXPECT_EQ(d.pairs[0].birth_simplex[0], 1);
  EXPECT_FALSE(d.pairs[1].finite());
  ExpectMatchesRipser(two, d);

  const Diagram empty = Compute(Matrix{});
  EXPECT_TRUE(empty.pairs.empty());
}

TEST(RipsShapes, CollinearPointsHaveNoLoops) {
  testing::Points points;
  for (int i = 0; i < 50; ++i) points.push_back({0.37 * i * i, 1.0 + 0.74 * i * i});
  const Matrix m = testing::Euclidean(points);
  const Diagram d = Compute(m);
  EXPECT_EQ(Summarize(d).dim[1].finite_bars + Summarize(d).dim[1].infinite_bars, 0);
  ExpectMatchesRipser(m, d);
}

TEST(RipsShapes, LowRankDataInHighDimension) {
  const Matrix m = testing::Euclidean(testing::Embed(testing::GaussianCloud(120, 3, 7), 768, 8));
  const Diagram d = Compute(m);
  ExpectMatchesRipser(m, d);
  ExpectMatchesGudhi(m, d);
}

TEST(RipsShapes, CosineDistance) {
  const Matrix m = testing::Cosine(testing::GaussianCloud(100, 768, 9));
  const Diagram d = Compute(m);
  ExpectMatchesRipser(m, d);
  ExpectMatchesGudhi(m, d);
}

TEST(RipsThreshold, BelowEnclosingRadiusMatchesRipser) {
  for (const auto& [points, fraction] :
       {std::pair{testing::GaussianCloud(80, 2, 10), 0.3},
        std::pair{testing::NoisyCircle(50, 1, 0, 0, 0.01, 11), 0.9}}) {
    const Matrix m = testing::Euclidean(points);
    RipsOptions options;
    options.threshold = fraction * testing::EnclosingRadius(m);
    const Diagram d = Compute(m, options);
    EXPECT_DOUBLE_EQ(d.threshold, *options.threshold);
    ExpectMatchesRipser(m, d, "--threshold " + std::to_string(*options.threshold));
  }
  // The circle cut below its loop's death keeps the loop as an infinite bar.
  const Matrix circle = testing::Euclidean(testing::NoisyCircle(50, 1, 0, 0, 0.01, 11));
  RipsOptions options;
  options.threshold = 1.0;
  EXPECT_EQ(Summarize(Compute(circle, options)).dim[1].infinite_bars, 1);
}

TEST(RipsContract, TiesFollowTheDocumentedOrder) {
  // All six distances equal: H0 deaths are the edges in index order (1,0), (2,0),
  // (3,0), each killing its larger vertex; H1 has only zero-length pairs.
  Matrix m;
  m.n = 4;
  m.values.assign(16, 1.0f);
  for (int i = 0; i < 4; ++i) m.values[i * 4 + i] = 0;
  const Diagram d = Compute(m);
  ASSERT_EQ(d.pairs.size(), 4u);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(d.pairs[k].death_edge[0], k + 1);
    EXPECT_EQ(d.pairs[k].death_edge[1], 0);
    EXPECT_EQ(d.pairs[k].birth_simplex[0], k + 1);
  }
}

TEST(RipsContract, EngineReuseAndValueTypesAgree) {
  auto engine = RipsEngine::Create({}).value();
  for (int n : {50, 10, 120, 3, 60}) {
    const Matrix m = testing::Euclidean(testing::GaussianCloud(n, 3, 100 + n));
    Diagram reused, fresh, as_double;
    ASSERT_TRUE(engine->ComputeSquare(m.values.data(), n, &reused).ok());
    fresh = Compute(m);
    const std::vector<double> promoted(m.values.begin(), m.values.end());
    ASSERT_TRUE(engine->ComputeSquare(promoted.data(), n, &as_double).ok());
    const std::vector<float> lower = m.Lower();
    Diagram from_lower;
    ASSERT_TRUE(engine->ComputeLower(lower.data(), n, &from_lower).ok());
    for (const Diagram* other : {&fresh, &as_double, &from_lower}) {
      ASSERT_EQ(reused.pairs.size(), other->pairs.size()) << n;
      for (size_t p = 0; p < reused.pairs.size(); ++p) {
        EXPECT_EQ(reused.pairs[p].death, other->pairs[p].death);
        EXPECT_EQ(reused.pairs[p].death_edge, other->pairs[p].death_edge);
        EXPECT_EQ(reused.pairs[p].birth_simplex, other->pairs[p].birth_simplex);
      }
    }
  }
}

// ComputePrepared's layout: rows of PaddedRowLength(n) entries, padding +inf.
template <typename T>
std::vector<T> Padded(const Matrix& m) {
  const int stride = RipsEngine::PaddedRowLength(m.n);
  std::vector<T> out(static_cast<size_t>(m.n) * stride, std::numeric_limits<T>::infinity());
  for (int i = 0; i < m.n; ++i) {
    for (int j = 0; j < m.n; ++j) out[static_cast<size_t>(i) * stride + j] = m.at(i, j);
  }
  return out;
}

void ExpectSameDiagram(const Diagram& a, const Diagram& b) {
  EXPECT_EQ(a.threshold, b.threshold);
  ASSERT_EQ(a.pairs.size(), b.pairs.size());
  for (size_t p = 0; p < a.pairs.size(); ++p) {
    EXPECT_EQ(a.pairs[p].dim, b.pairs[p].dim);
    EXPECT_EQ(a.pairs[p].birth, b.pairs[p].birth);
    EXPECT_EQ(a.pairs[p].death, b.pairs[p].death);
    EXPECT_EQ(a.pairs[p].birth_simplex, b.pairs[p].birth_simplex);
    EXPECT_EQ(a.pairs[p].death_edge, b.pairs[p].death_edge);
  }
}

TEST(RipsContract, PreparedMatrixGivesTheSameDiagram) {
  EXPECT_EQ(RipsEngine::PaddedRowLength(0), 0);
  EXPECT_EQ(RipsEngine::PaddedRowLength(1), 8);
  EXPECT_EQ(RipsEngine::PaddedRowLength(100), 104);
  auto engine = RipsEngine::Create({}).value();
  std::vector<Matrix> cases;
  for (int n : {0, 1, 2, 7, 8, 9, 100, 130}) {
    cases.push_back(testing::Euclidean(testing::GaussianCloud(n, 768, 300 + n)));
  }
  cases.push_back(testing::Euclidean(testing::GaussianCloud(90, 2, 7)));
  Matrix grid;  // massively tied distances
  grid.n = 49;
  for (int a = 0; a < grid.n; ++a) {
    for (int b = 0; b < grid.n; ++b) {
      grid.values.push_back(std::hypot(a / 7 - b / 7, a % 7 - b % 7));
    }
  }
  cases.push_back(grid);
  for (const Matrix& m : cases) {
    SCOPED_TRACE(m.n);
    Diagram copied, prepared, prepared_double;
    ASSERT_TRUE(engine->ComputeSquare(m.values.data(), m.n, &copied).ok());
    const std::vector<float> padded = Padded<float>(m);
    ASSERT_TRUE(engine->ComputePrepared(padded.data(), m.n, &prepared).ok());
    ExpectSameDiagram(copied, prepared);
    const std::vector<double> padded_double = Padded<double>(m);
    ASSERT_TRUE(engine->ComputePrepared(padded_double.data(), m.n, &prepared_double).ok());
    ExpectSameDiagram(copied, prepared_double);
  }
  // And against the oracle, on a cloud where every H1 column needs a reduction.
  const Matrix cloud = testing::Euclidean(testing::GaussianCloud(100, 768, 17));
  const std::vector<float> padded = Padded<float>(cloud);
  Diagram d;
  ASSERT_TRUE(engine->ComputePrepared(padded.data(), cloud.n, &d).ok());
  ExpectMatchesRipser(cloud, d);
}

TEST(RipsContract, PreparedMatrixRejectsNaNAndNegativeEntries) {
  auto engine = RipsEngine::Create({}).value();
  const Matrix m = testing::Euclidean(testing::GaussianCloud(20, 3, 5));
  const int stride = RipsEngine::PaddedRowLength(m.n);
  for (float bad : {std::nanf(""), -0.5f}) {
    std::vector<float> padded = Padded<float>(m);
    padded[static_cast<size_t>(13) * stride + 4] = bad;
    Diagram d;
    const absl::Status status = engine->ComputePrepared(padded.data(), m.n, &d);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(status.message().find("row 13, column 4"), std::string::npos) << status;
    EXPECT_TRUE(d.pairs.empty());
  }
}

TEST(RipsContract, RejectsBadInputAndOptions) {
  auto engine = RipsEngine::Create({}).value();
  Diagram d;
  std::vector<float> m = {0, 1, 1, 0};
  m[2] = std::nanf("");
  absl::Status status = engine->ComputeSquare(m.data(), 2, &d);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("row 1, column 0"), std::string::npos) << status;
  m[2] = -1;
  EXPECT_EQ(engine->ComputeSquare(m.data(), 2, &d).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine->ComputeSquare(m.data(), -1, &d).code(), absl::StatusCode::kInvalidArgument);

  RipsOptions bad;
  bad.max_dim = 2;
  EXPECT_FALSE(RipsEngine::Create(bad).ok());
  bad = {};
  bad.threshold = -1;
  EXPECT_FALSE(RipsEngine::Create(bad).ok());
  bad = {};
  bad.ratio = 0.5;
  EXPECT_FALSE(RipsEngine::Create(bad).ok());
}

TEST(RipsSummary, CountsPersistenceEntropyAndBetti) {
  const Matrix m = testing::Euclidean(testing::NoisyCircle(64, 1, 0, 0, 0.01, 12));
  const Diagram d = Compute(m);
  const DiagramSummary s = Summarize(d);
  EXPECT_EQ(s.dim[0].finite_bars, 63);
  EXPECT_EQ(s.dim[0].infinite_bars, 1);
  EXPECT_GT(s.dim[1].max_lifetime, 1.0);
  EXPECT_GT(s.dim[0].entropy, std::log(63.0) - 0.1);  // near-uniform spacing
  EXPECT_EQ(BettiAtScale(d, 0, 0.0), 64);
  EXPECT_EQ(BettiAtScale(d, 0, 0.5), 1);
  EXPECT_EQ(BettiAtScale(d, 1, 0.5), 1);
  EXPECT_EQ(BettiAtScale(d, 1, 1.9), 0);
}

TEST(RipsOracleSanity, MatchingAndRipserCanFail) {
  const Matrix m = testing::Euclidean(testing::NoisyCircle(30, 1, 0, 0, 0.01, 13));
  const std::vector<Bar> ripser = testing::RunRipser(m);
  ASSERT_FALSE(ripser.empty());
  std::vector<Bar> ours = testing::Bars(Compute(m));
  std::string why;
  ASSERT_TRUE(testing::MatchWithin(ours, ripser, 1e-5, &why)) << why;
  std::vector<Bar> shifted = ours;
  shifted.back().death += 1e-3;  // the circle's H1 bar
  EXPECT_FALSE(testing::MatchWithin(shifted, ripser, 1e-5, &why));
  std::vector<Bar> missing(ours.begin(), ours.end() - 1);
  EXPECT_FALSE(testing::MatchWithin(missing, ripser, 1e-5, &why));
  EXPECT_NE(why.find("dim 1"), std::string::npos) << why;
}

}  // namespace
}  // namespace ptune::topology
