// Internal to the topology library: the per-value-type state of RipsEngine: the
// square distance matrix, H0 by Prim, and the H1 reducer (rips_h1.h). Instantiated
// for float and double in rips_workspace.cc.
//
// Matrix layout: n rows of PaddedLength(n) entries (rips_kernels.h), symmetric, zero
// diagonal, entries >= 0 or +inf, the padding columns [n, PaddedLength(n)) +inf. The
// matrix is either the workspace's own copy (LoadSquare, LoadLower) or one the caller
// built in this layout and lends for the call (UsePrepared).
#ifndef PTUNE_WORKER_TOPOLOGY_RIPS_WORKSPACE_H_
#define PTUNE_WORKER_TOPOLOGY_RIPS_WORKSPACE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "worker/topology/rips_h1.h"
#include "worker/topology/rips_types.h"

namespace ptune::topology {

template <typename T>
class RipsWorkspace {
 public:
  // Validate (no NaN, no negative value) and mirror the strict lower triangle of
  // `dist` (n×n row-major) or of the packed `lower` into the square matrix.
  absl::Status LoadSquare(const T* dist, int n);
  absl::Status LoadLower(const T* lower, int n);
  // Borrow `dist`, already in the layout above, until the next Load/Use call. Only
  // NaN and negative entries are detected (INVALID_ARGUMENT); the rest of the layout
  // is the caller's promise.
  absl::Status UsePrepared(const T* dist, int n);

  // Compute the diagram of the loaded matrix.
  void Compute(const RipsOptions& options, Diagram* out);

 private:
  using Edge = RipsEdge;

  const T* Row(uint32_t i) const { return matrix_ + static_cast<size_t>(i) * stride_; }
  T& At(uint32_t i, uint32_t j) { return dist_[static_cast<size_t>(i) * stride_ + j]; }
  absl::Status Validate(T value, int row, int col) const;
  void Resize(int n);
  T EnclosingRadius() const;

  void ComputeH0(Diagram* out);
  uint32_t NextPrimVertex(T best) const;
  void BreakPrimTies(uint32_t v);
  void AppendH0Pairs(Diagram* out);

  // Per-call parameters.
  uint32_t n_ = 0;
  uint32_t stride_ = 0;        // PaddedLength(n_)
  const T* matrix_ = nullptr;  // dist_ or the borrowed matrix
  T threshold_ = 0;

  // Buffers, grown as needed and reused across calls.
  std::vector<T> dist_;  // own copy of the matrix (layout above)
  // Prim's algorithm: key -1 marks a vertex in the tree (and the padding).
  std::vector<T> key_;
  std::vector<int32_t> parent_;
  std::vector<Edge> mst_;
  std::vector<uint64_t> mst_bits_;  // bit per edge index: is an MST edge
  std::vector<int32_t> component_;  // union-find over vertices (root = minimum vertex)
  H1Reducer<T> h1_;
};

}  // namespace ptune::topology

#endif  // PTUNE_WORKER_TOPOLOGY_RIPS_WORKSPACE_H_
