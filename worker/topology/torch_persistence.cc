#include "worker/topology/torch_persistence.h"

#include <chrono>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "worker/topology/fused_distances.h"

namespace ptune::topology {
namespace {

absl::Status CheckMatrix(const torch::Tensor& t, bool square, const char* what) {
  if (t.dim() != 2 || !t.is_floating_point()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be a 2-D floating-point tensor"));
  }
  if (square && t.size(0) != t.size(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be square (got ", t.size(0), "x", t.size(1), ")"));
  }
  if (t.size(0) > kMaxPoints) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " has ", t.size(0), " rows; at most ", kMaxPoints, " are supported"));
  }
  return absl::OkStatus();
}

// Mean off-diagonal and largest finite entry of a detached CPU matrix's lower triangle.
template <typename T>
void LowerStats(const T* d, int64_t n, DifferentiableDiagram* out) {
  double sum = 0, max = 0;
  for (int64_t i = 1; i < n; ++i) {
    for (int64_t j = 0; j < i; ++j) {
      const double v = d[i * n + j];
      sum += v;
      if (v > max && v != kInfinity) max = v;
    }
  }
  out->mean_distance = n >= 2 ? sum / (static_cast<double>(n) * (n - 1) / 2) : 0;
  out->diameter = max;
}

// Runs `reduce` (an engine call), recording its wall time.
template <typename Reduce>
absl::Status Timed(Reduce reduce, double* seconds) {
  const auto start = std::chrono::steady_clock::now();
  const absl::Status status = reduce();
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return status;
}

// Flat indices (a*stride + b) of the edges whose lengths are the finite bar values.
struct BarEdges {
  std::vector<int64_t> h0_death, h1_birth, h1_death;
};

BarEdges CollectBarEdges(const Diagram& diagram, int64_t stride) {
  BarEdges edges;
  for (const PersistencePair& pair : diagram.pairs) {
    if (!pair.finite()) continue;
    const int64_t death = pair.death_edge[0] * stride + pair.death_edge[1];
    if (pair.dim == 0) {
      edges.h0_death.push_back(death);
    } else {
      edges.h1_birth.push_back(pair.birth_simplex[0] * stride + pair.birth_simplex[1]);
      edges.h1_death.push_back(death);
    }
  }
  return edges;
}

torch::Tensor Gather(const torch::Tensor& flat, const std::vector<int64_t>& indices) {
  torch::Tensor index = torch::tensor(indices, torch::TensorOptions().dtype(torch::kLong));
  return flat.index_select(0, index.to(flat.device()));
}

}  // namespace

torch::Tensor PairwiseDistances(const torch::Tensor& points, const DistanceOptions& options) {
  TORCH_CHECK(points.dim() == 2 && points.is_floating_point(),
              "PairwiseDistances: points must be a 2-D floating-point tensor");
  torch::Tensor x = points;
  if (options.kind == DistanceKind::kCosine) x = x / x.norm(2, 1, true).clamp_min(1e-12);
  const int64_t n = x.size(0);
  const torch::Tensor sq_norms = (x * x).sum(1);
  torch::Tensor sq = sq_norms.unsqueeze(1) + sq_norms.unsqueeze(0) - 2 * x.mm(x.t());
  sq = sq.masked_fill(torch::eye(n, x.options().dtype(torch::kBool)), 0);
  const torch::Tensor positive = sq > options.sqrt_epsilon;
  torch::Tensor dist =
      torch::where(positive, sq.clamp_min(options.sqrt_epsilon).sqrt(), torch::zeros_like(sq));
  if (options.normalize && n >= 2) {
    const torch::Tensor mean = dist.sum() / static_cast<double>(n * (n - 1));
    dist = dist / mean.clamp_min(1e-30);
  }
  return dist;
}

absl::StatusOr<std::unique_ptr<PersistenceLayer>> PersistenceLayer::Create(
    const PersistenceLayerOptions& options) {
  absl::StatusOr<std::unique_ptr<RipsEngine>> engine = RipsEngine::Create(options.rips);
  if (!engine.ok()) return engine.status();
  return std::unique_ptr<PersistenceLayer>(new PersistenceLayer(options, *std::move(engine)));
}

PersistenceLayer::PersistenceLayer(const PersistenceLayerOptions& options,
                                   std::unique_ptr<RipsEngine> engine)
    : options_(options), engine_(std::move(engine)) {}

absl::StatusOr<DifferentiableDiagram> PersistenceLayer::Compute(const torch::Tensor& points) {
  if (absl::Status status = CheckMatrix(points, false, "points"); !status.ok()) return status;
  if (CanFuse(points)) return ComputeFused(points);
  // NaN would compare false against the sqrt guard and silently become distance 0.
  // One sum is NaN or infinite iff some entry is (or the values are beyond any usable
  // distance); torch::isfinite(...).all() cost 0.5 ms at 100x768, more than the GEMM.
  if (!std::isfinite(points.detach().sum().item<double>())) {
    return absl::InvalidArgumentError("points contain NaN or infinite values");
  }
  return ComputeFromDistances(PairwiseDistances(points, options_.distance));
}

absl::StatusOr<DifferentiableDiagram> PersistenceLayer::ComputeFused(const torch::Tensor& points) {
  absl::StatusOr<FusedDistances> fused = ComputeFusedDistances(points, options_.distance);
  if (!fused.ok()) return fused.status();
  // The engine reads the fused matrix in place: it is already in its padded layout.
  DifferentiableDiagram result;
  const int n = static_cast<int>(points.size(0));
  const torch::Tensor& d = fused->distances;
  const absl::Status status = Timed(
      [&] {
        return d.scalar_type() == torch::kDouble
                   ? engine_->ComputePrepared(d.data_ptr<double>(), n, &result.diagram)
                   : engine_->ComputePrepared(d.data_ptr<float>(), n, &result.diagram);
      },
      &result.reduction_seconds);
  if (!status.ok()) return status;
  result.mean_distance = fused->mean_distance;
  result.diameter = fused->diameter;
  BarEdges edges = CollectBarEdges(result.diagram, fused->stride);
  const int64_t n0 = edges.h0_death.size(), n1 = edges.h1_birth.size();
  std::vector<int64_t> all = std::move(edges.h0_death);
  all.insert(all.end(), edges.h1_birth.begin(), edges.h1_birth.end());
  all.insert(all.end(), edges.h1_death.begin(), edges.h1_death.end());
  const torch::Tensor values = GatherFused(points, *fused, options_.distance, std::move(all));
  result.h0_deaths = values.narrow(0, 0, n0);
  result.h1_births = values.narrow(0, n0, n1);
  result.h1_deaths = values.narrow(0, n0 + n1, n1);
  return result;
}

absl::Status PersistenceLayer::Reduce(const torch::Tensor& cpu, DifferentiableDiagram* result) {
  const int n = static_cast<int>(cpu.size(0));
  const bool use_double = cpu.scalar_type() == torch::kDouble;
  const absl::Status status = Timed(
      [&] {
        return use_double ? engine_->ComputeSquare(cpu.data_ptr<double>(), n, &result->diagram)
                          : engine_->ComputeSquare(cpu.data_ptr<float>(), n, &result->diagram);
      },
      &result->reduction_seconds);
  if (!status.ok()) return status;
  if (use_double) {
    LowerStats(cpu.data_ptr<double>(), n, result);
  } else {
    LowerStats(cpu.data_ptr<float>(), n, result);
  }
  return absl::OkStatus();
}

absl::StatusOr<DifferentiableDiagram> PersistenceLayer::ComputeFromDistances(
    const torch::Tensor& distances) {
  if (absl::Status status = CheckMatrix(distances, true, "distances"); !status.ok()) {
    return status;
  }
  DifferentiableDiagram result;
  const int64_t n = distances.size(0);
  torch::Tensor cpu = distances.detach().to(torch::kCPU);
  cpu = (cpu.scalar_type() == torch::kDouble ? cpu : cpu.to(torch::kFloat)).contiguous();
  if (absl::Status status = Reduce(cpu, &result); !status.ok()) return status;
  const BarEdges edges = CollectBarEdges(result.diagram, n);
  const torch::Tensor flat = distances.reshape({-1});
  result.h0_deaths = Gather(flat, edges.h0_death);
  result.h1_births = Gather(flat, edges.h1_birth);
  result.h1_deaths = Gather(flat, edges.h1_death);
  return result;
}

torch::Tensor TotalPersistence(const torch::Tensor& births, const torch::Tensor& deaths) {
  return (deaths - births).sum();
}

torch::Tensor MaxLifetime(const torch::Tensor& births, const torch::Tensor& deaths) {
  if (deaths.numel() == 0) return torch::zeros({}, deaths.options());
  return (deaths - births).max();
}

torch::Tensor PersistenceEntropy(const torch::Tensor& births, const torch::Tensor& deaths) {
  if (deaths.numel() == 0) return torch::zeros({}, deaths.options());
  const torch::Tensor lifetimes = deaths - births;
  const torch::Tensor p = lifetimes / lifetimes.sum().clamp_min(1e-30);
  return -(p * p.clamp_min(1e-30).log()).sum();
}

}  // namespace ptune::topology
