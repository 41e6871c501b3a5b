// Internal to the topology library: simplex indexing shared by the H0 and H1 code.
#ifndef PTUNE_WORKER_TOPOLOGY_SIMPLEX_INDEX_H_
#define PTUNE_WORKER_TOPOLOGY_SIMPLEX_INDEX_H_

#include <cstdint>

namespace ptune::topology {

// Combinatorial number system: edge (i > j) -> C(i,2) + j, triangle (a > b > c) ->
// C(a,3) + C(b,2) + c. For a fixed edge, the index of triangle {i, j, k} increases
// with k, so a row scan in k enumerates cofacets in index order.
inline uint64_t Choose2(uint64_t x) { return x * (x - 1) / 2; }
inline uint64_t Choose3(uint64_t x) { return x * (x - 1) * (x - 2) / 6; }
inline uint64_t EdgeIndex(uint32_t i, uint32_t j) { return Choose2(i) + j; }
inline uint64_t TriangleIndex(uint32_t a, uint32_t b, uint32_t c) {
  return Choose3(a) + Choose2(b) + c;
}
// Index of triangle {i, j, k} for an edge i > j and a third vertex k.
inline uint64_t CofacetIndex(uint32_t i, uint32_t j, uint32_t k) {
  if (k > i) return TriangleIndex(k, i, j);
  if (k > j) return TriangleIndex(i, k, j);
  return TriangleIndex(i, j, k);
}

struct RipsEdge {
  uint32_t i, j;  // i > j
};

}  // namespace ptune::topology

#endif  // PTUNE_WORKER_TOPOLOGY_SIMPLEX_INDEX_H_
