// Fused CPU path of PersistenceLayer::Compute: one GEMM for the Gram matrix, then a
// single pass computing the guarded distances (and the normalisation) into a matrix
// the RipsEngine reads directly; bar values come out of a custom autograd Function
// whose backward is analytic (sparse over the gathered edges, plus one GEMM for the
// normalisation's dense term) instead of autograd through an n×n graph.
//
// Same values and first-order gradients as PairwiseDistances + gathers (see
// torch_persistence.h); second-order gradients are not supported. Only for CPU
// float32/float64 points: other devices and dtypes take the generic path.
//
// Torch header, internal to worker/topology.
#ifndef PTUNE_WORKER_TOPOLOGY_FUSED_DISTANCES_H_
#define PTUNE_WORKER_TOPOLOGY_FUSED_DISTANCES_H_

#include <torch/torch.h>

#include <vector>

#include "absl/status/statusor.h"
#include "worker/topology/torch_persistence.h"

namespace ptune::topology {

// Detached result of the forward pass, shared with the autograd node.
struct FusedDistances {
  torch::Tensor rows;   // n×d CPU rows the distances are taken between (cosine:
                        // the normalised rows), float32 or float64, contiguous
  torch::Tensor norms;  // cosine only: n×1 row norms before clamping
  // n × RipsEngine::PaddedRowLength(n): the engine's ComputePrepared layout, so it is
  // reduced in place. Columns [0, n): symmetric, zero diagonal, after normalisation;
  // the padding columns hold +inf. Flat index of (a, b): a * stride + b.
  torch::Tensor distances;
  int64_t stride = 0;
  double scale = 1;  // distances = raw distances / scale
  // Mean and largest entry of the strict lower triangle of `distances`, summed in
  // double in row order (the values LowerStats would give).
  double mean_distance = 0;
  double diameter = 0;
  // True when the scale is the (unclamped) mean distance, so it carries gradient.
  bool scale_is_mean = false;
};

// True if `points` can take the fused path (CPU, float32 or float64, 2-D).
bool CanFuse(const torch::Tensor& points);

// Distances of `points` (detached) per `options`. INVALID_ARGUMENT if the points hold
// NaN or infinite values (or values whose squares overflow).
absl::StatusOr<FusedDistances> ComputeFusedDistances(const torch::Tensor& points,
                                                     const DistanceOptions& options);

// distances[a][b] for every flat index a*stride+b in `edges`, as a tensor of points' dtype
// that is differentiable with respect to `points` (the tensor `fused` was computed from).
torch::Tensor GatherFused(const torch::Tensor& points, const FusedDistances& fused,
                          const DistanceOptions& options, std::vector<int64_t> edges);

}  // namespace ptune::topology

#endif  // PTUNE_WORKER_TOPOLOGY_FUSED_DISTANCES_H_
