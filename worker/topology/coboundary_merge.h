// Internal to the topology library: the working column of the H1 reduction, a Z/2 sum
// of edge coboundaries, represented lazily.
//
// Ripser pushes every cofacet of every added edge into one heap: O(n log n) per edge,
// although only the few smallest cofacets are ever looked at. Here each added edge is
// a *stream*: one vectorised pass over two matrix rows writes the diameters of all its
// cofacets (indexed by the third vertex k) into a buffer, and the next cofacet in
// (diameter, index) order is extracted by a vectorised minimum search when needed
// (index order = k order for a fixed edge). A small heap over the stream heads merges
// the streams; equal heads cancel in pairs.
#ifndef PTUNE_WORKER_TOPOLOGY_COBOUNDARY_MERGE_H_
#define PTUNE_WORKER_TOPOLOGY_COBOUNDARY_MERGE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "worker/topology/simplex_index.h"

namespace ptune::topology {

template <typename T>
class CoboundaryMerger {
 public:
  struct Cofacet {
    T diam;
    RipsEdge edge;   // the edge whose coboundary it came from
    uint32_t k;      // the vertex added to the edge
    uint64_t index;  // triangle index
  };

  // Start an empty column over `dist` (n rows of PaddedLength(n), symmetric, padding
  // +inf; rips_workspace.h), ignoring cofacets whose diameter exceeds `threshold`.
  void Reset(const T* dist, uint32_t n, T threshold);

  // Add the coboundary of edge e (e.i > e.j) to the column.
  void Add(RipsEdge e);

  // The minimum cofacet of the column after cancellation, left in the column; false
  // if the column is zero.
  bool Pivot(Cofacet* pivot);

 private:
  struct Stream {
    size_t offset;  // diameters of the not yet extracted cofacets in values_
    Cofacet head;   // the current (smallest remaining) cofacet
  };
  // A heap entry: the head's sort key next to its stream, so that comparisons do not
  // chase the stream.
  struct HeapEntry {
    T diam;
    uint32_t stream;
    uint64_t index;
  };

  const T* Row(uint32_t i) const { return dist_ + static_cast<size_t>(i) * stride_; }
  // Moves stream s to its next cofacet; false when it has none left.
  bool Advance(uint32_t s);
  void PushHeap(uint32_t s);
  void AdvanceTop();

  const T* dist_ = nullptr;
  uint32_t stride_ = 0;
  T threshold_ = 0;
  std::vector<Stream> streams_;
  std::vector<T> values_;        // stride_ per stream; +inf = absent or extracted
  std::vector<HeapEntry> heap_;  // min head on top
};

}  // namespace ptune::topology

#endif  // PTUNE_WORKER_TOPOLOGY_COBOUNDARY_MERGE_H_
