// The LibTorch layer: distances, gathered bar values and gradients checked against
// central finite differences (which recompute the pairing at every probe).
#include "worker/topology/torch_persistence.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "worker/topology/fused_distances.h"

namespace ptune::topology {
namespace {

using Loss = std::function<torch::Tensor(const DifferentiableDiagram&)>;

torch::Tensor RandomCloud(int64_t n, int64_t d, uint64_t seed) {
  torch::manual_seed(seed);
  return torch::randn({n, d}, torch::kDouble);
}

std::unique_ptr<PersistenceLayer> MakeLayer(DistanceKind kind, bool normalize) {
  PersistenceLayerOptions options;
  options.distance.kind = kind;
  options.distance.normalize = normalize;
  return PersistenceLayer::Create(options).value();
}

// Max |autograd - finite difference| relative to the gradient's scale.
double GradientError(PersistenceLayer& layer, const torch::Tensor& points, const Loss& loss) {
  torch::Tensor x = points.clone().requires_grad_(true);
  loss(layer.Compute(x).value()).backward();
  const torch::Tensor analytic = x.grad();
  const double h = 1e-6;
  double worst = 0, scale = 1e-12;
  auto acc = points.accessor<double, 2>();
  for (int64_t i = 0; i < points.size(0); ++i) {
    for (int64_t k = 0; k < points.size(1); ++k) {
      torch::Tensor plus = points.clone(), minus = points.clone();
      plus[i][k] = acc[i][k] + h;
      minus[i][k] = acc[i][k] - h;
      const double fd = (loss(layer.Compute(plus).value()).item<double>() -
                         loss(layer.Compute(minus).value()).item<double>()) /
                        (2 * h);
      const double a = analytic[i][k].item<double>();
      worst = std::max(worst, std::abs(a - fd));
      scale = std::max(scale, std::abs(a));
    }
  }
  return worst / scale;
}

TEST(TorchPersistence, DistancesMatchDirectComputation) {
  const torch::Tensor x = RandomCloud(9, 4, 1);
  const torch::Tensor d = PairwiseDistances(x, {});
  const torch::Tensor direct = (x.unsqueeze(1) - x.unsqueeze(0)).pow(2).sum(2).sqrt();
  EXPECT_TRUE(torch::allclose(d, direct, 1e-10, 1e-10));
  EXPECT_EQ(d.diag().abs().max().item<double>(), 0.0);

  DistanceOptions cosine;
  cosine.kind = DistanceKind::kCosine;
  const torch::Tensor u = x / x.norm(2, 1, true);
  const torch::Tensor expected = (2 - 2 * u.mm(u.t())).clamp_min(0).sqrt().fill_diagonal_(0);
  EXPECT_TRUE(torch::allclose(PairwiseDistances(x, cosine), expected, 1e-7, 1e-7));

  DistanceOptions normalized;
  normalized.normalize = true;
  const torch::Tensor dn = PairwiseDistances(x, normalized);
  EXPECT_NEAR(dn.sum().item<double>() / (9 * 8), 1.0, 1e-12);
}

TEST(TorchPersistence, SqrtGuardGivesFiniteGradientForDuplicates) {
  torch::Tensor x = RandomCloud(6, 3, 2);
  x[3] = x[1];  // duplicate point: zero distance
  x.requires_grad_(true);
  auto layer = MakeLayer(DistanceKind::kEuclidean, false);
  const DifferentiableDiagram diagram = layer->Compute(x).value();
  (diagram.h0_deaths.sum() + TotalPersistence(diagram.h1_births, diagram.h1_deaths)).backward();
  EXPECT_TRUE(torch::isfinite(x.grad()).all().item<bool>());
}

TEST(TorchPersistence, GatheredValuesEqualDiagramValues) {
  auto layer = MakeLayer(DistanceKind::kEuclidean, false);
  const DifferentiableDiagram d = layer->Compute(RandomCloud(40, 2, 3)).value();
  std::vector<double> h0, h1b, h1d;
  for (const PersistencePair& p : d.diagram.pairs) {
    if (!p.finite()) continue;
    if (p.dim == 0) h0.push_back(p.death);
    if (p.dim == 1) {
      h1b.push_back(p.birth);
      h1d.push_back(p.death);
    }
  }
  ASSERT_EQ(d.h0_deaths.numel(), static_cast<int64_t>(h0.size()));
  ASSERT_GT(h1b.size(), 0u);
  ASSERT_EQ(d.h1_births.numel(), static_cast<int64_t>(h1b.size()));
  for (size_t i = 0; i < h0.size(); ++i) EXPECT_EQ(d.h0_deaths[i].item<double>(), h0[i]);
  for (size_t i = 0; i < h1b.size(); ++i) {
    EXPECT_EQ(d.h1_births[i].item<double>(), h1b[i]);
    EXPECT_EQ(d.h1_deaths[i].item<double>(), h1d[i]);
  }
}

struct GradientCase {
  const char* name;
  DistanceKind kind;
  bool normalize;
  Loss loss;
};

class TorchPersistenceGradient : public ::testing::TestWithParam<GradientCase> {};

TEST_P(TorchPersistenceGradient, MatchesFiniteDifferences) {
  const GradientCase& c = GetParam();
  auto layer = MakeLayer(c.kind, c.normalize);
  const torch::Tensor x = RandomCloud(24, 3, 7);
  const DifferentiableDiagram d = layer->Compute(x).value();
  ASSERT_GT(d.h1_deaths.numel(), 0) << "the cloud must have H1 bars for the check to bite";
  EXPECT_LT(GradientError(*layer, x, c.loss), 1e-5) << c.name;
}

torch::Tensor H0Total(const DifferentiableDiagram& d) { return d.h0_deaths.sum(); }
torch::Tensor H0ToTarget(const DifferentiableDiagram& d) { return (d.h0_deaths - 0.7).abs().sum(); }
torch::Tensor H1Total(const DifferentiableDiagram& d) {
  return TotalPersistence(d.h1_births, d.h1_deaths);
}
torch::Tensor H1Max(const DifferentiableDiagram& d) {
  return MaxLifetime(d.h1_births, d.h1_deaths);
}
torch::Tensor Entropy(const DifferentiableDiagram& d) {
  return PersistenceEntropy(torch::zeros_like(d.h0_deaths), d.h0_deaths) +
         PersistenceEntropy(d.h1_births, d.h1_deaths);
}
torch::Tensor TsLossLike(const DifferentiableDiagram& d) {
  return 0.1 * H0Total(d) + 0.1 * H1Total(d) + 0.05 * Entropy(d);
}

INSTANTIATE_TEST_SUITE_P(
    Summaries, TorchPersistenceGradient,
    ::testing::Values(GradientCase{"h0_total", DistanceKind::kEuclidean, false, H0Total},
                      GradientCase{"h0_target", DistanceKind::kEuclidean, false, H0ToTarget},
                      GradientCase{"h1_total", DistanceKind::kEuclidean, false, H1Total},
                      GradientCase{"h1_max", DistanceKind::kEuclidean, false, H1Max},
                      GradientCase{"entropy", DistanceKind::kEuclidean, false, Entropy},
                      GradientCase{"tsloss_normalized", DistanceKind::kEuclidean, true, TsLossLike},
                      GradientCase{"tsloss_cosine", DistanceKind::kCosine, true, TsLossLike},
                      GradientCase{"h1_total_cosine", DistanceKind::kCosine, false, H1Total},
                      GradientCase{"h0_normalized", DistanceKind::kEuclidean, true, H0Total},
                      GradientCase{"h0_target_cosine_normalized", DistanceKind::kCosine, true,
                                   H0ToTarget}),
    [](const ::testing::TestParamInfo<GradientCase>& info) { return info.param.name; });

// Values and gradient of `loss` from Compute (the fused CPU path for float/double)
// and from ComputeFromDistances(PairwiseDistances(x)) (plain autograd).
void ExpectFusedEqualsGeneric(DistanceKind kind, bool normalize, const torch::Tensor& points,
                              double tol) {
  auto layer = MakeLayer(kind, normalize);
  DistanceOptions options;
  options.kind = kind;
  options.normalize = normalize;
  torch::Tensor a = points.clone().requires_grad_(true);
  torch::Tensor b = points.clone().requires_grad_(true);
  const DifferentiableDiagram fused = layer->Compute(a).value();
  const DifferentiableDiagram generic =
      layer->ComputeFromDistances(PairwiseDistances(b, options)).value();
  ASSERT_EQ(fused.diagram.pairs.size(), generic.diagram.pairs.size());
  ASSERT_EQ(fused.h1_deaths.numel(), generic.h1_deaths.numel());
  EXPECT_EQ(fused.h0_deaths.scalar_type(), points.scalar_type());
  EXPECT_TRUE(torch::allclose(fused.h0_deaths, generic.h0_deaths, tol, tol));
  EXPECT_TRUE(torch::allclose(fused.h1_births, generic.h1_births, tol, tol));
  EXPECT_TRUE(torch::allclose(fused.h1_deaths, generic.h1_deaths, tol, tol));
  EXPECT_NEAR(fused.mean_distance, generic.mean_distance, tol);
  EXPECT_NEAR(fused.diameter, generic.diameter, tol);
  TsLossLike(fused).backward();
  TsLossLike(generic).backward();
  ASSERT_TRUE(a.grad().defined());
  const double scale = b.grad().abs().max().item<double>();
  EXPECT_LT((a.grad() - b.grad()).abs().max().item<double>(), tol * std::max(1.0, scale));
}

TEST(TorchPersistence, FusedPathEqualsAutogradPath) {
  for (DistanceKind kind : {DistanceKind::kEuclidean, DistanceKind::kCosine}) {
    for (bool normalize : {false, true}) {
      SCOPED_TRACE(testing::Message()
                   << "cosine=" << (kind == DistanceKind::kCosine) << " normalize=" << normalize);
      ExpectFusedEqualsGeneric(kind, normalize, RandomCloud(30, 5, 11), 1e-9);
      ExpectFusedEqualsGeneric(kind, normalize, RandomCloud(40, 64, 12).to(torch::kFloat), 1e-4);
      // Duplicate points (zero distances, sqrt guard) and a zero row (cosine clamp).
      torch::Tensor special = RandomCloud(12, 4, 13);
      special[5] = special[2];
      special[7].zero_();
      ExpectFusedEqualsGeneric(kind, normalize, special, 1e-9);
    }
  }
}

// The fused path hands its padded matrix to the engine in place; the diagram and the
// statistics must be exactly those of the copying path on the same matrix.
TEST(TorchPersistence, FusedPathReducesItsMatrixInPlaceExactly) {
  for (DistanceKind kind : {DistanceKind::kEuclidean, DistanceKind::kCosine}) {
    for (torch::ScalarType dtype : {torch::kFloat, torch::kDouble}) {
      for (int64_t n : {0, 1, 2, 9, 100}) {
        SCOPED_TRACE(testing::Message() << "n=" << n << " double=" << (dtype == torch::kDouble));
        auto layer = MakeLayer(kind, /*normalize=*/true);
        const torch::Tensor points = RandomCloud(n, 48, 40 + n).to(dtype);
        const DifferentiableDiagram fused = layer->Compute(points).value();
        const FusedDistances matrix =
            ComputeFusedDistances(points, layer->options().distance).value();
        ASSERT_EQ(matrix.stride, RipsEngine::PaddedRowLength(static_cast<int>(n)));
        if (n > 0) {  // the padding the engine relies on
          EXPECT_TRUE(
              torch::all(matrix.distances.narrow(1, n, matrix.stride - n).isinf()).item<bool>());
        }
        const DifferentiableDiagram copied =
            layer->ComputeFromDistances(matrix.distances.narrow(1, 0, n)).value();
        ASSERT_EQ(fused.diagram.pairs.size(), copied.diagram.pairs.size());
        for (size_t p = 0; p < fused.diagram.pairs.size(); ++p) {
          const PersistencePair &x = fused.diagram.pairs[p], &y = copied.diagram.pairs[p];
          EXPECT_EQ(x.dim, y.dim);
          EXPECT_EQ(x.birth, y.birth);
          EXPECT_EQ(x.death, y.death);
          EXPECT_EQ(x.birth_simplex, y.birth_simplex);
          EXPECT_EQ(x.death_edge, y.death_edge);
        }
        EXPECT_EQ(fused.diagram.threshold, copied.diagram.threshold);
        EXPECT_EQ(fused.mean_distance, copied.mean_distance);
        EXPECT_EQ(fused.diameter, copied.diameter);
        EXPECT_TRUE(torch::equal(fused.h0_deaths, copied.h0_deaths));
        EXPECT_TRUE(torch::equal(fused.h1_births, copied.h1_births));
        EXPECT_TRUE(torch::equal(fused.h1_deaths, copied.h1_deaths));
      }
    }
  }
}

TEST(TorchPersistence, RejectsBadInput) {
  auto layer = MakeLayer(DistanceKind::kEuclidean, false);
  EXPECT_EQ(layer->Compute(torch::zeros({3})).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(layer->ComputeFromDistances(torch::zeros({3, 4})).status().code(),
            absl::StatusCode::kInvalidArgument);
  torch::Tensor nan = RandomCloud(5, 2, 1);
  nan[2][0] = std::nan("");
  EXPECT_EQ(layer->Compute(nan).status().code(), absl::StatusCode::kInvalidArgument);
  torch::Tensor inf = RandomCloud(5, 2, 1).to(torch::kFloat);
  inf[4][1] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(layer->Compute(inf).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeLayer(DistanceKind::kCosine, true)->Compute(nan).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeLayer(DistanceKind::kCosine, false)->Compute(inf).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Finite values whose squares overflow float: the Gram diagonal is infinite.
  torch::Tensor huge = RandomCloud(6, 3, 2).to(torch::kFloat);
  huge[3][0] = 1e30f;
  EXPECT_EQ(layer->Compute(huge).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(layer->Compute(nan.to(torch::kFloat)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ptune::topology
