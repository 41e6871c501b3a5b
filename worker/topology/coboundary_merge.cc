#include "worker/topology/coboundary_merge.h"

#include <algorithm>

namespace ptune::topology {
template <typename T>
void CoboundaryMerger<T>::Reset(const T* dist, uint32_t n, T threshold) {
  dist_ = dist;
  n_ = n;
  threshold_ = threshold;
  streams_.clear();
  heap_.clear();
}

template <typename T>
void CoboundaryMerger<T>::Add(RipsEdge e) {
  Stream s;
  s.edge = e;
  s.d = Row(e.i)[e.j];
  Refill(s, nullptr);
  if (s.size == 0) return;
  streams_.push_back(s);
  PushHeap(static_cast<uint32_t>(streams_.size() - 1));
}

// Keeps the kBatch smallest cofacets (diameter, then k, which orders like the index)
// strictly after `after`. Ties in diameter keep the smaller k, so `diam < cut` is the
// only test in the common case.
template <typename T>
void CoboundaryMerger<T>::Refill(Stream& s, const Cofacet* after) {
  const T* a = Row(s.edge.i);
  const T* b = Row(s.edge.j);
  const T after_diam = after ? after->diam : T{-1};
  const uint32_t after_k = after ? after->k : 0;
  uint32_t size = 0;
  T cut = threshold_;  // admit diam <= cut while the batch is not full
  for (uint32_t k = 0; k < n_; ++k) {
    const T diam = std::max(s.d, std::max(a[k], b[k]));
    if (diam > cut || diam < after_diam) continue;
    if (size == kBatch && diam == cut) continue;
    if (diam == after_diam && k <= after_k) continue;
    if (k == s.edge.i || k == s.edge.j) continue;
    uint32_t pos = size < kBatch ? size++ : kBatch - 1;
    while (pos > 0 && s.batch[pos - 1].diam > diam) {
      s.batch[pos] = s.batch[pos - 1];
      --pos;
    }
    s.batch[pos] = Cofacet{diam, k, 0};
    if (size == kBatch) cut = s.batch[kBatch - 1].diam;
  }
  for (uint32_t p = 0; p < size; ++p) {
    s.batch[p].index = CofacetIndex(s.edge.i, s.edge.j, s.batch[p].k);
  }
  s.pos = 0;
  s.size = size;
  s.last_batch = size < kBatch;
}

template <typename T>
bool CoboundaryMerger<T>::Advance(Stream& s) {
  if (++s.pos < s.size) return true;
  if (s.last_batch) return false;
  const Cofacet last = s.batch[s.size - 1];
  Refill(s, &last);
  return s.size > 0;
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
