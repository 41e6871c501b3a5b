// H1 by cohomology. Columns are edges processed in reverse filtration order; the
// pivot of a column is its first (minimum) cofacet in the order (diameter, index).
#include "worker/topology/rips_h1.h"

#include <algorithm>

#include "worker/topology/rips_kernels.h"

namespace ptune::topology {
namespace {

// The vertices of triangle {e.i, e.j, k} (e.i > e.j) in decreasing order.
void SortedVertices(RipsEdge e, uint32_t k, uint32_t v[3]) {
  v[0] = std::max(e.i, k);
  v[1] = k > e.i ? e.i : std::max(e.j, k);
  v[2] = std::min(e.j, k);
}

}  // namespace

template <typename T>
void H1Reducer<T>::Compute(const T* dist, uint32_t n, T threshold, double ratio,
                           const std::vector<uint64_t>& mst_bits, Diagram* out) {
  dist_ = dist;
  n_ = n;
  stride_ = PaddedLength(n);
  threshold_ = threshold;
  ratio_ = ratio;
  CollectColumns(mst_bits);
  pivots_.Reset(columns_.size());
  slots_.clear();
  v_pool_.clear();
  for (const Column& column : columns_) ReduceColumn(column, out);
}

// Every edge within the threshold that is not an MST edge, minus the apparent pairs,
// which are zero-persistence pairs whatever the processing order; sorted in reverse
// filtration order for the reduction.
template <typename T>
void H1Reducer<T>::CollectColumns(const std::vector<uint64_t>& mst_bits) {
  columns_.clear();
  for (uint32_t i = 1; i < n_; ++i) {
    const T* row = Row(i);
    for (uint32_t j = 0; j < i; ++j) {
      const T d = row[j];
      if (!(d <= threshold_)) continue;
      const uint64_t e = EdgeIndex(i, j);
      if ((mst_bits[e >> 6] >> (e & 63)) & 1) continue;
      const int32_t k = FirstCofacet(i, j, d);
      if (k >= 0 && IsApparent(i, j, d, k)) continue;
      columns_.push_back(Column{d, i, j, k});
    }
  }
  std::sort(columns_.begin(), columns_.end(), [](const Column& a, const Column& b) {
    return a.diam > b.diam || (a.diam == b.diam && EdgeIndex(a.i, a.j) > EdgeIndex(b.i, b.j));
  });
}

// The third vertex of the minimum cofacet of edge (i, j) if that cofacet has the
// edge's diameter d (both other edges <= d; the smallest such k has the smallest
// index), else -1.
template <typename T>
int32_t H1Reducer<T>::FirstCofacet(uint32_t i, uint32_t j, T d) const {
  const T* a = Row(i);
  const T* b = Row(j);
  // k = i and k = j always pass the test (D[i][i] = 0, D[j][i] = d): mask them out.
  // The padding (+inf) never passes.
  for (uint32_t k0 = 0; k0 < stride_; k0 += kRowAlign) {
    uint32_t mask = kernels::BothAtMostMask(a + k0, b + k0, d);
    if (i - k0 < kRowAlign) mask &= ~(1u << (i - k0));
    if (j - k0 < kRowAlign) mask &= ~(1u << (j - k0));
    if (mask != 0) return static_cast<int32_t>(k0 + __builtin_ctz(mask));
  }
  return -1;
}

// (edge, triangle {i,j,k}) is an apparent pair iff the edge is also the last facet of
// the triangle: no other facet of equal diameter has a larger index. Facet (i,k) is
// later than (i,j) iff k > j; facet (j,k) iff k > i.
template <typename T>
bool H1Reducer<T>::IsApparent(uint32_t i, uint32_t j, T d, int32_t k) const {
  const uint32_t w = static_cast<uint32_t>(k);
  if (Row(i)[w] == d && w > j) return false;
  if (Row(j)[w] == d && w > i) return false;
  return true;
}

// The last facet of triangle v[0] > v[1] > v[2] in the order (diameter, index): the
// facets by decreasing index are (v0,v1), (v0,v2), (v1,v2).
template <typename T>
RipsEdge H1Reducer<T>::LongestEdge(const uint32_t v[3], uint32_t* third) const {
  const T d01 = Row(v[0])[v[1]], d02 = Row(v[0])[v[2]], d12 = Row(v[1])[v[2]];
  const T top = std::max(d01, std::max(d02, d12));
  if (d01 == top) {
    *third = v[2];
    return Edge{v[0], v[1]};
  }
  if (d02 == top) {
    *third = v[1];
    return Edge{v[0], v[2]};
  }
  *third = v[0];
  return Edge{v[1], v[2]};
}

template <typename T>
typename H1Reducer<T>::Owner H1Reducer<T>::FindOwner(const Cofacet& t) const {
  Owner owner;
  owner.slot = pivots_.Find(t.index);
  if (owner.slot >= 0) {
    owner.found = true;
    return owner;
  }
  uint32_t v[3], third;
  SortedVertices(t.edge, t.k, v);
  const Edge e = LongestEdge(v, &third);
  if (FirstCofacet(e.i, e.j, t.diam) == static_cast<int32_t>(third)) {
    owner.found = true;
    owner.edge = e;
  }
  return owner;
}

template <typename T>
void H1Reducer<T>::AddOwnerColumn(const Owner& owner) {
  if (owner.slot < 0) {
    working_v_.push_back(owner.edge);
    column_.Add(owner.edge);
    return;
  }
  const Slot slot = slots_[owner.slot];
  for (uint32_t s = 0; s < slot.count; ++s) {
    const Edge e = v_pool_[slot.offset + s];
    working_v_.push_back(e);
    column_.Add(e);
  }
}

// Records that `triangle` is owned by the column whose reduction is `*single` or, when
// null, the Z/2 sum of the edges in working_v_.
template <typename T>
void H1Reducer<T>::StorePivot(uint64_t triangle, const Edge* single) {
  const uint32_t offset = static_cast<uint32_t>(v_pool_.size());
  if (single != nullptr) {
    v_pool_.push_back(*single);
  } else {
    std::sort(working_v_.begin(), working_v_.end(),
              [](const Edge& x, const Edge& y) { return x.i < y.i || (x.i == y.i && x.j < y.j); });
    for (size_t s = 0; s < working_v_.size();) {
      size_t t = s;
      while (t < working_v_.size() && working_v_[t].i == working_v_[s].i &&
             working_v_[t].j == working_v_[s].j) {
        ++t;
      }
      if ((t - s) % 2 == 1) v_pool_.push_back(working_v_[s]);
      s = t;
    }
  }
  pivots_.Insert(triangle, static_cast<uint32_t>(slots_.size()));
  slots_.push_back(Slot{offset, static_cast<uint32_t>(v_pool_.size()) - offset});
}

template <typename T>
void H1Reducer<T>::ReduceColumn(const Column& column, Diagram* out) {
  const Edge e{column.i, column.j};
  Owner first_owner;
  if (column.first_k >= 0) {
    // The minimum cofacet has the column's diameter: if it is unowned, this is an
    // emergent pair, taken without building the column.
    const uint32_t k = static_cast<uint32_t>(column.first_k);
    const Cofacet t{column.diam, e, k, CofacetIndex(e.i, e.j, k)};
    first_owner = FindOwner(t);
    if (!first_owner.found) {
      StorePivot(t.index, &e);
      return;
    }
  }
  column_.Reset(dist_, n_, threshold_);
  working_v_.clear();
  working_v_.push_back(e);
  column_.Add(e);
  // That cofacet is the column's first pivot: add its owner now rather than find it
  // again.
  if (first_owner.found) AddOwnerColumn(first_owner);
  Cofacet pivot;
  while (column_.Pivot(&pivot)) {
    const Owner owner = FindOwner(pivot);
    if (!owner.found) {
      StorePivot(pivot.index, nullptr);
      EmitPair(column, &pivot, out);
      return;
    }
    AddOwnerColumn(owner);
  }
  EmitPair(column, nullptr, out);
}

template <typename T>
void H1Reducer<T>::EmitPair(const Column& column, const Cofacet* pivot, Diagram* out) const {
  PersistencePair pair;
  pair.dim = 1;
  pair.birth = column.diam;
  pair.birth_simplex = {static_cast<int32_t>(column.i), static_cast<int32_t>(column.j)};
  if (pivot != nullptr) {
    pair.death = pivot->diam;
    if (!(pair.death > ratio_ * pair.birth)) return;
    uint32_t v[3], third;
    SortedVertices(pivot->edge, pivot->k, v);
    const Edge longest = LongestEdge(v, &third);
    pair.death_edge = {static_cast<int32_t>(longest.i), static_cast<int32_t>(longest.j)};
  }
  out->pairs.push_back(pair);
}

template class H1Reducer<float>;
template class H1Reducer<double>;

}  // namespace ptune::topology
