// Internal to the topology library: H1 of a Vietoris–Rips filtration by cohomology
// with an implicit coboundary (the scheme of Ripser, Bauer 2021), written for a dense
// square matrix. Instantiated for float and double in rips_h1.cc.
#ifndef PTUNE_WORKER_TOPOLOGY_RIPS_H1_H_
#define PTUNE_WORKER_TOPOLOGY_RIPS_H1_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "worker/topology/coboundary_merge.h"
#include "worker/topology/pivot_map.h"
#include "worker/topology/rips_types.h"

namespace ptune::topology {

template <typename T>
class H1Reducer {
 public:
  // Appends the H1 pairs of the filtration of `dist` (n rows of PaddedLength(n), the
  // layout of rips_workspace.h)
  // truncated at `threshold` to `out`, keeping those with death > ratio * birth and
  // every infinite one. `mst_bits` has bit EdgeIndex(i,j) set for each MST edge: those
  // edges are H0 deaths and are cleared from the H1 columns.
  void Compute(const T* dist, uint32_t n, T threshold, double ratio,
               const std::vector<uint64_t>& mst_bits, Diagram* out);

 private:
  using Edge = RipsEdge;
  // An H1 column: an edge that is neither an MST edge nor in an apparent pair.
  struct Column {
    T diam;
    uint32_t i, j;
    int32_t first_k;  // third vertex of the first equal-diameter cofacet, or -1
  };
  using Cofacet = typename CoboundaryMerger<T>::Cofacet;
  // A reduced column kept for later additions: a run of edges in v_pool_.
  struct Slot {
    uint32_t offset, count;
  };
  // The column that owns a triangle as its pivot: an apparent edge, or a stored slot.
  struct Owner {
    bool found = false;
    int64_t slot = -1;
    Edge edge{0, 0};  // the owner when slot < 0
  };

  const T* Row(uint32_t i) const { return dist_ + static_cast<size_t>(i) * stride_; }
  void CollectColumns(const std::vector<uint64_t>& mst_bits);
  int32_t FirstCofacet(uint32_t i, uint32_t j, T d) const;
  bool IsApparent(uint32_t i, uint32_t j, T d, int32_t k) const;
  Owner FindOwner(const Cofacet& t) const;
  Edge LongestEdge(const uint32_t v[3], uint32_t* third) const;
  void ReduceColumn(const Column& column, Diagram* out);
  void AddOwnerColumn(const Owner& owner);
  void StorePivot(uint64_t triangle, const Edge* single);
  void EmitPair(const Column& column, const Cofacet* pivot, Diagram* out) const;

  // Per-call inputs.
  const T* dist_ = nullptr;
  uint32_t n_ = 0;
  uint32_t stride_ = 0;  // PaddedLength(n_)
  T threshold_ = 0;
  double ratio_ = 1;

  // Buffers, grown as needed and reused across calls.
  std::vector<Column> columns_;
  CoboundaryMerger<T> column_;   // the working column
  std::vector<Edge> working_v_;  // edges summed into the working column
  std::vector<Edge> v_pool_;     // reduction columns of stored pivots
  std::vector<Slot> slots_;
  PivotMap pivots_;  // triangle index -> slot
};

}  // namespace ptune::topology

#endif  // PTUNE_WORKER_TOPOLOGY_RIPS_H1_H_
