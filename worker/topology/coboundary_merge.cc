#include "worker/topology/coboundary_merge.h"

#include <algorithm>
#include <limits>

namespace ptune::topology {
template <typename T>
void CoboundaryMerger<T>::Reset(const T* dist, uint32_t n, T threshold) {
  dist_ = dist;
  n_ = n;
  threshold_ = threshold;
  streams_.clear();
  values_.clear();
  heap_.clear();
}

template <typename T>
void CoboundaryMerger<T>::Add(RipsEdge e) {
  const T* a = Row(e.i);
  const T* b = Row(e.j);
  const T d = a[e.j];
  const T limit = threshold_;
  const T inf = std::numeric_limits<T>::infinity();
  Stream s{e, values_.size(), {}};
  values_.resize(s.offset + n_);
  T* v = values_.data() + s.offset;
  for (uint32_t k = 0; k < n_; ++k) {
    const T diam = std::max(d, std::max(a[k], b[k]));
    v[k] = diam <= limit ? diam : inf;
  }
  v[e.i] = inf;
  v[e.j] = inf;
  if (!Advance(s)) {
    values_.resize(s.offset);
    return;
  }
  streams_.push_back(s);
  PushHeap(static_cast<uint32_t>(streams_.size() - 1));
}

// Extracts the smallest remaining diameter (first k among equals): a lane-parallel
// minimum the compiler vectorises, then a short search for its position.
template <typename T>
bool CoboundaryMerger<T>::Advance(Stream& s) {
  constexpr uint32_t kLanes = 8;
  T* v = values_.data() + s.offset;
  const T inf = std::numeric_limits<T>::infinity();
  T lane[kLanes];
  std::fill(lane, lane + kLanes, inf);
  uint32_t k = 0;
  for (; k + kLanes <= n_; k += kLanes) {
    for (uint32_t u = 0; u < kLanes; ++u) lane[u] = std::min(lane[u], v[k + u]);
  }
  T best = *std::min_element(lane, lane + kLanes);
  for (; k < n_; ++k) best = std::min(best, v[k]);
  if (best == inf) return false;
  const uint32_t at = static_cast<uint32_t>(std::find(v, v + n_, best) - v);
  v[at] = inf;
  s.head = Cofacet{best, at, CofacetIndex(s.edge.i, s.edge.j, at)};
  return true;
}

template <typename T>
bool CoboundaryMerger<T>::HeadBefore(uint32_t a, uint32_t b) const {
  const Cofacet& x = Head(a);
  const Cofacet& y = Head(b);
  return x.diam < y.diam || (x.diam == y.diam && x.index < y.index);
}

template <typename T>
void CoboundaryMerger<T>::PushHeap(uint32_t s) {
  heap_.push_back(s);
  std::push_heap(heap_.begin(), heap_.end(),
                 [this](uint32_t a, uint32_t b) { return HeadBefore(b, a); });
}

template <typename T>
uint32_t CoboundaryMerger<T>::PopHeap() {
  std::pop_heap(heap_.begin(), heap_.end(),
                [this](uint32_t a, uint32_t b) { return HeadBefore(b, a); });
  const uint32_t s = heap_.back();
  heap_.pop_back();
  return s;
}

template <typename T>
bool CoboundaryMerger<T>::Pivot(Cofacet* pivot) {
  while (!heap_.empty()) {
    group_.clear();
    group_.push_back(PopHeap());
    const uint64_t index = Head(group_[0]).index;
    while (!heap_.empty() && Head(heap_.front()).index == index) group_.push_back(PopHeap());
    // An odd count leaves one copy in the column: keep group_[0] at that head.
    const bool survives = group_.size() % 2 == 1;
    if (survives) *pivot = Head(group_[0]);
    for (size_t g = survives ? 1 : 0; g < group_.size(); ++g) {
      if (Advance(streams_[group_[g]])) PushHeap(group_[g]);
    }
    if (survives) {
      PushHeap(group_[0]);
      return true;
    }
  }
  return false;
}

template class CoboundaryMerger<float>;
template class CoboundaryMerger<double>;

}  // namespace ptune::topology
