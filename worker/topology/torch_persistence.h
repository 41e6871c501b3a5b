// LibTorch layer of the persistent homology engine: pairwise distances of a point
// cloud and a differentiable Vietoris–Rips diagram (dimensions 0 and 1).
//
// Technique (TopologyLayer, torch-topological, GUDHI's RipsLayer): the pairs and their
// simplices are computed on a detached CPU copy of the distance matrix; the bar values
// are then *gathered* from the differentiable matrix at the creating/killing edges, so
// the gradient of any function of the bar values flows to the points. The pairing is
// piecewise constant in the points, so this is the exact gradient wherever the order
// of the distances has no ties.
//
// Torch header: include only from worker code.
#ifndef PTUNE_WORKER_TOPOLOGY_TORCH_PERSISTENCE_H_
#define PTUNE_WORKER_TOPOLOGY_TORCH_PERSISTENCE_H_

#include <torch/torch.h>

#include <memory>

#include "absl/status/statusor.h"
#include "worker/topology/diagram_summary.h"
#include "worker/topology/rips_engine.h"
#include "worker/topology/rips_types.h"

namespace ptune::topology {

enum class DistanceKind {
  kEuclidean,  // ||x - y||
  kCosine,     // sqrt(2 - 2 cos(x, y)) = Euclidean distance of the normalised rows
};

struct DistanceOptions {
  DistanceKind kind = DistanceKind::kEuclidean;
  // Divide every distance by the mean off-diagonal distance (differentiably), so the
  // result is scale-invariant. Ignored for fewer than 2 points or a zero mean.
  bool normalize = false;
  // Squared distances at or below this are treated as 0, with zero gradient: the
  // gradient of sqrt is infinite at 0 (diagonal, duplicate points).
  double sqrt_epsilon = 1e-12;
};

// n×n distances between the rows of `points` (n×d, floating point), computed with a
// matrix product on the points' device and dtype; differentiable. The diagonal is
// exactly 0. Throws c10::Error if `points` is not 2-D floating point.
torch::Tensor PairwiseDistances(const torch::Tensor& points, const DistanceOptions& options);

// A diagram whose finite bar values are differentiable tensors (on the distance
// matrix's device and dtype). Tensors list the *finite* bars of one dimension in the
// order they appear in `diagram.pairs`.
struct DifferentiableDiagram {
  Diagram diagram;               // pairs with simplices and values (detached)
  torch::Tensor h0_deaths;       // [finite H0 bars]; H0 births are all 0
  torch::Tensor h1_births;       // [finite H1 bars]
  torch::Tensor h1_deaths;       // [finite H1 bars]
  double mean_distance = 0;      // mean off-diagonal distance (after normalisation)
  double diameter = 0;           // largest finite distance (after normalisation)
  double reduction_seconds = 0;  // wall time in the engine, excluding distances
};

struct PersistenceLayerOptions {
  DistanceOptions distance;
  RipsOptions rips;
};

// Owns a RipsEngine, so buffers are reused across calls (one layer per training loop).
// Not thread-safe.
class PersistenceLayer {
 public:
  // INVALID_ARGUMENT for bad RipsOptions (see RipsEngine::Create).
  static absl::StatusOr<std::unique_ptr<PersistenceLayer>> Create(
      const PersistenceLayerOptions& options);

  // Distances of `points` (n×d, requires_grad allowed) per the options, then the
  // diagram. INVALID_ARGUMENT if points is not 2-D floating point, has more than
  // kMaxPoints rows, or holds NaN or infinite values (or values whose sum overflows).
  absl::StatusOr<DifferentiableDiagram> Compute(const torch::Tensor& points);

  // Same from a given n×n distance matrix (only its strict lower triangle is read);
  // the distance options are not applied.
  absl::StatusOr<DifferentiableDiagram> ComputeFromDistances(const torch::Tensor& distances);

  const PersistenceLayerOptions& options() const { return options_; }

 private:
  PersistenceLayer(const PersistenceLayerOptions& options, std::unique_ptr<RipsEngine> engine);
  // CPU float/double points: fused distances and an analytic backward
  // (fused_distances.h); same values and first-order gradients as the generic path.
  absl::StatusOr<DifferentiableDiagram> ComputeFused(const torch::Tensor& points);
  // The engine on a contiguous n×n CPU float/double matrix; fills diagram and stats.
  absl::Status Reduce(const torch::Tensor& cpu, DifferentiableDiagram* result);

  const PersistenceLayerOptions options_;
  std::unique_ptr<RipsEngine> engine_;
};

// Differentiable summaries of bars given as birth/death tensors of equal length (pass
// a zero tensor, or torch::zeros_like(deaths), as births for H0). All return a scalar
// tensor (0 for no bars) on the deaths' device.
torch::Tensor TotalPersistence(const torch::Tensor& births, const torch::Tensor& deaths);
torch::Tensor MaxLifetime(const torch::Tensor& births, const torch::Tensor& deaths);
// -sum p log p, p = lifetime / total lifetime; bars of zero lifetime contribute 0 and
// the gradient is finite.
torch::Tensor PersistenceEntropy(const torch::Tensor& births, const torch::Tensor& deaths);
// Bar counts and Betti numbers are piecewise constant: use Summarize / BettiAtScale
// on DifferentiableDiagram::diagram (diagram_summary.h).

}  // namespace ptune::topology

#endif  // PTUNE_WORKER_TOPOLOGY_TORCH_PERSISTENCE_H_
