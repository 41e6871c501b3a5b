// RipsEngine: persistent homology (Z/2 coefficients, dimensions 0 and 1) of the
// Vietoris–Rips filtration of a finite metric space given as a dense distance matrix.
//
// Algorithm (see docs/topology.md):
//   * H0: Prim's algorithm on the full square matrix, O(n²), under the total order
//     (diameter, edge index); the MST edges are the H0 deaths (elder rule).
//   * H1: cohomology with an implicit coboundary (Ripser's scheme) over the edges that
//     are not MST edges (clearing). Zero-persistence apparent pairs are detected by a
//     vectorisable scan of two matrix rows and never enter the reduction; emergent
//     pairs are taken without building a column; the remaining columns are reduced
//     with a heap.
//
// The engine owns every buffer it needs and reuses them across calls: a training loop
// that calls Compute every step allocates only while n grows. Not thread-safe; use
// one engine per thread.
#ifndef PTUNE_WORKER_TOPOLOGY_RIPS_ENGINE_H_
#define PTUNE_WORKER_TOPOLOGY_RIPS_ENGINE_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/topology/rips_types.h"

namespace ptune::topology {

template <typename T>
class RipsWorkspace;

class RipsEngine {
 public:
  // INVALID_ARGUMENT if max_dim is not 0 or 1, the threshold is negative or NaN, or
  // the ratio is below 1 or NaN.
  static absl::StatusOr<std::unique_ptr<RipsEngine>> Create(const RipsOptions& options);

  ~RipsEngine();
  RipsEngine(const RipsEngine&) = delete;
  RipsEngine& operator=(const RipsEngine&) = delete;

  // `dist` is an n×n row-major matrix; only its strict lower triangle (row i, column
  // j < i) is read, so an input that is symmetric up to rounding is fine. Values must
  // be >= 0 and not NaN; +inf means "no edge". On success `out` is overwritten with
  // the diagram. INVALID_ARGUMENT names the first bad entry (row, column); `out` is
  // then cleared. float input is reduced in float, double input in double.
  absl::Status ComputeSquare(const float* dist, int n, Diagram* out);
  absl::Status ComputeSquare(const double* dist, int n, Diagram* out);

  // `lower` holds the strict lower triangle row by row: d(1,0), d(2,0), d(2,1),
  // d(3,0), ... (n(n-1)/2 values, ripser's lower-distance layout).
  absl::Status ComputeLower(const float* lower, int n, Diagram* out);
  absl::Status ComputeLower(const double* lower, int n, Diagram* out);

  // For a caller that builds the matrix itself (the torch layer's fused distance pass):
  // `dist` has n rows of PaddedRowLength(n) entries, row-major; it must be symmetric
  // with a zero diagonal, entries >= 0 or +inf, and the padding columns
  // [n, PaddedRowLength(n)) +inf. It is read in place (no copy) during the call.
  // INVALID_ARGUMENT on a NaN or negative entry (naming it); the rest of the layout is
  // not checked, and a matrix that breaks it gives a meaningless diagram.
  absl::Status ComputePrepared(const float* dist, int n, Diagram* out);
  absl::Status ComputePrepared(const double* dist, int n, Diagram* out);
  // Row length of ComputePrepared's matrix: n rounded up to a multiple of 8.
  static int PaddedRowLength(int n);

  const RipsOptions& options() const { return options_; }

 private:
  explicit RipsEngine(const RipsOptions& options);

  // Constant after construction.
  const RipsOptions options_;
  // Created on first use of each value type, then reused.
  std::unique_ptr<RipsWorkspace<float>> float_workspace_;
  std::unique_ptr<RipsWorkspace<double>> double_workspace_;
};

}  // namespace ptune::topology

#endif  // PTUNE_WORKER_TOPOLOGY_RIPS_ENGINE_H_
