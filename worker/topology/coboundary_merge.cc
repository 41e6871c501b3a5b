#include "worker/topology/coboundary_merge.h"

#include <algorithm>
#include <limits>

#include "worker/topology/rips_kernels.h"

namespace ptune::topology {
namespace {

// Heap order: the entry with the larger (diameter, index) sinks. A function object,
// not a function pointer, so that the heap algorithms inline it.
struct After {
  template <typename Entry>
  bool operator()(const Entry& x, const Entry& y) const {
    return x.diam > y.diam || (x.diam == y.diam && x.index > y.index);
  }
};

}  // namespace

template <typename T>
void CoboundaryMerger<T>::Reset(const T* dist, uint32_t n, T threshold) {
  dist_ = dist;
  stride_ = PaddedLength(n);
  threshold_ = threshold;
  streams_.clear();
  values_.clear();
  heap_.clear();
}

template <typename T>
void CoboundaryMerger<T>::Add(RipsEdge e) {
  const T inf = std::numeric_limits<T>::infinity();
  const size_t offset = values_.size();
  values_.resize(offset + stride_);
  T* v = values_.data() + offset;
  kernels::CofacetDiameters(Row(e.i), Row(e.j), Row(e.i)[e.j], threshold_, stride_, v);
  v[e.i] = inf;
  v[e.j] = inf;
  const uint32_t s = static_cast<uint32_t>(streams_.size());
  streams_.push_back(Stream{offset, Cofacet{0, e, 0, 0}});
  if (!Advance(s)) {
    streams_.pop_back();
    values_.resize(offset);
    return;
  }
  PushHeap(s);
}

// Extracts the smallest remaining diameter (first k among equals): a vector minimum,
// then a vector search for its position.
template <typename T>
bool CoboundaryMerger<T>::Advance(uint32_t s) {
  Stream& stream = streams_[s];
  T* v = values_.data() + stream.offset;
  const T best = kernels::MinEntry(v, stride_);
  if (best == std::numeric_limits<T>::infinity()) return false;
  const uint32_t at = kernels::FindEntry(v, best);
  v[at] = std::numeric_limits<T>::infinity();
  const RipsEdge e = stream.head.edge;
  stream.head = Cofacet{best, e, at, CofacetIndex(e.i, e.j, at)};
  return true;
}

template <typename T>
void CoboundaryMerger<T>::PushHeap(uint32_t s) {
  const Cofacet& head = streams_[s].head;
  heap_.push_back(HeapEntry{head.diam, s, head.index});
  std::push_heap(heap_.begin(), heap_.end(), After());
}

// Moves the top stream to its next cofacet, or drops it when it has none, and
// restores the heap with one sift-down (instead of a pop and a push).
template <typename T>
void CoboundaryMerger<T>::AdvanceTop() {
  const uint32_t s = heap_[0].stream;
  HeapEntry moved;
  if (Advance(s)) {
    moved = HeapEntry{streams_[s].head.diam, s, streams_[s].head.index};
  } else {
    moved = heap_.back();
    heap_.pop_back();
    if (heap_.empty()) return;
  }
  const size_t size = heap_.size();
  size_t at = 0;
  for (;;) {
    size_t child = 2 * at + 1;
    if (child >= size) break;
    if (child + 1 < size && After()(heap_[child], heap_[child + 1])) ++child;
    if (!After()(moved, heap_[child])) break;
    heap_[at] = heap_[child];
    at = child;
  }
  heap_[at] = moved;
}

// The top is the column's minimum cofacet unless another stream has the same head
// (then the two cancel); such a duplicate would be a child of the top.
template <typename T>
bool CoboundaryMerger<T>::Pivot(Cofacet* pivot) {
  while (!heap_.empty()) {
    const uint64_t index = heap_[0].index;
    const bool duplicate = (heap_.size() > 1 && heap_[1].index == index) ||
                           (heap_.size() > 2 && heap_[2].index == index);
    if (!duplicate) {
      *pivot = streams_[heap_[0].stream].head;
      return true;
    }
    AdvanceTop();  // the duplicate is now on top
    AdvanceTop();
  }
  return false;
}

template class CoboundaryMerger<float>;
template class CoboundaryMerger<double>;

}  // namespace ptune::topology
