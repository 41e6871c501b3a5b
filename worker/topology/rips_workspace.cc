// RipsWorkspace: loading, validation, the enclosing radius and H0 (Prim on the full
// square matrix); H1 is delegated to H1Reducer.
#include "worker/topology/rips_workspace.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "worker/topology/rips_kernels.h"

namespace ptune::topology {

template <typename T>
absl::Status RipsWorkspace<T>::Validate(T value, int row, int col) const {
  if (std::isnan(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("distance (row ", row, ", column ", col, ") is NaN"));
  }
  if (value < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("distance (row ", row, ", column ", col, ") is negative (got ", value, ")"));
  }
  return absl::OkStatus();
}

template <typename T>
void RipsWorkspace<T>::Resize(int n) {
  n_ = static_cast<uint32_t>(n);
  stride_ = PaddedLength(n_);
  dist_.assign(static_cast<size_t>(n_) * stride_, std::numeric_limits<T>::infinity());
  for (uint32_t i = 0; i < n_; ++i) At(i, i) = 0;
  matrix_ = dist_.data();
}

template <typename T>
absl::Status RipsWorkspace<T>::LoadSquare(const T* dist, int n) {
  Resize(n);
  for (int i = 1; i < n; ++i) {
    const T* row = dist + static_cast<size_t>(i) * n;
    for (int j = 0; j < i; ++j) {
      if (!(row[j] >= 0)) return Validate(row[j], i, j);
      At(i, j) = row[j];
      At(j, i) = row[j];
    }
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status RipsWorkspace<T>::LoadLower(const T* lower, int n) {
  Resize(n);
  for (int i = 1; i < n; ++i) {
    const T* row = lower + Choose2(i);
    for (int j = 0; j < i; ++j) {
      if (!(row[j] >= 0)) return Validate(row[j], i, j);
      At(i, j) = row[j];
      At(j, i) = row[j];
    }
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status RipsWorkspace<T>::UsePrepared(const T* dist, int n) {
  n_ = static_cast<uint32_t>(n);
  stride_ = PaddedLength(n_);
  matrix_ = dist;
  if (kernels::AllNonNegative(dist, static_cast<size_t>(n_) * stride_)) return absl::OkStatus();
  for (uint32_t i = 0; i < n_; ++i) {
    for (uint32_t j = 0; j < stride_; ++j) {
      if (!(Row(i)[j] >= 0)) return Validate(Row(i)[j], static_cast<int>(i), static_cast<int>(j));
    }
  }
  return absl::OkStatus();
}

// min_i max_j d(i,j): at this scale vertex argmin_i is joined to every other vertex,
// so the complex is a cone and every class has died.
template <typename T>
T RipsWorkspace<T>::EnclosingRadius() const {
  T radius = std::numeric_limits<T>::infinity();
  for (uint32_t i = 0; i < n_; ++i) {
    const T* row = Row(i);
    T row_max = 0;
    for (uint32_t j = 0; j < n_; ++j) row_max = std::max(row_max, row[j]);  // not the padding
    radius = std::min(radius, row_max);
  }
  return n_ == 0 ? T{0} : radius;
}

template <typename T>
void RipsWorkspace<T>::Compute(const RipsOptions& options, Diagram* out) {
  out->pairs.clear();
  out->num_points = static_cast<int>(n_);
  out->max_dim = options.max_dim;
  double threshold = EnclosingRadius();
  if (options.threshold) threshold = std::min(*options.threshold, threshold);
  out->threshold = threshold;
  threshold_ = static_cast<T>(threshold);
  // +inf entries mean "no edge": keep them above every admissible diameter.
  if (std::isinf(threshold_)) threshold_ = std::numeric_limits<T>::max();
  ComputeH0(out);
  if (options.max_dim < 1 || n_ < 3) return;
  // Clearing: the MST edges are H0 deaths and never H1 columns.
  mst_bits_.assign((Choose2(n_) + 63) / 64, 0);
  for (const Edge& e : mst_) {
    const uint64_t index = EdgeIndex(e.i, e.j);
    mst_bits_[index >> 6] |= uint64_t{1} << (index & 63);
  }
  h1_.Compute(matrix_, n_, threshold_, options.ratio, mst_bits_, out);
}

// Prim's algorithm under the total order (diameter, edge index): the unique minimum
// spanning forest of the edges within the threshold, i.e. exactly the edges Kruskal
// would take in filtration order. Each step is one vector pass over a matrix row that
// relaxes the keys and finds the smallest one; equal lengths (rare outside tied
// inputs) are settled by edge index afterwards.
template <typename T>
void RipsWorkspace<T>::ComputeH0(Diagram* out) {
  key_.assign(stride_, std::numeric_limits<T>::infinity());
  std::fill(key_.begin() + n_, key_.end(), T(-1));
  parent_.assign(stride_, -1);
  mst_.clear();
  uint32_t v = 0;
  for (uint32_t step = 0; step < n_; ++step) {
    key_[v] = -1;
    if (parent_[v] >= 0) {
      const uint32_t p = static_cast<uint32_t>(parent_[v]);
      mst_.push_back(v > p ? Edge{v, p} : Edge{p, v});
    }
    if (step + 1 == n_) break;
    bool tie = false;
    const T best = kernels::PrimRelax(Row(v), key_.data(), parent_.data(), static_cast<int32_t>(v),
                                      stride_, threshold_, &tie);
    if (tie) BreakPrimTies(v);
    v = NextPrimVertex(best);
  }
  AppendH0Pairs(out);
}

// Where row v offers an edge as long as the current key, the smaller edge index wins.
template <typename T>
void RipsWorkspace<T>::BreakPrimTies(uint32_t v) {
  const T* row = Row(v);
  for (uint32_t u = 0; u < n_; ++u) {
    if (key_[u] < 0 || row[u] != key_[u] || !(row[u] <= threshold_)) continue;
    const uint32_t p = static_cast<uint32_t>(parent_[u]);
    if (p == v) continue;
    const uint64_t current = u > p ? EdgeIndex(u, p) : EdgeIndex(p, u);
    if ((u > v ? EdgeIndex(u, v) : EdgeIndex(v, u)) < current) parent_[u] = static_cast<int32_t>(v);
  }
}

// The vertex outside the tree with the smallest (key, edge index); if none is within
// reach (+inf), the first vertex outside the tree (a new component).
template <typename T>
uint32_t RipsWorkspace<T>::NextPrimVertex(T best) const {
  uint32_t next = n_;
  uint64_t next_index = 0;
  for (uint32_t u = 0; u < n_; ++u) {
    if (key_[u] != best) continue;
    if (best == std::numeric_limits<T>::infinity()) return u;
    const uint32_t p = static_cast<uint32_t>(parent_[u]);
    const uint64_t index = u > p ? EdgeIndex(u, p) : EdgeIndex(p, u);
    if (next == n_ || index < next_index) {
      next = u;
      next_index = index;
    }
  }
  return next;
}

// Elder rule over the MST edges in filtration order; all vertices are born at 0, the
// component whose minimum vertex is larger is the younger one and dies.
template <typename T>
void RipsWorkspace<T>::AppendH0Pairs(Diagram* out) {
  std::sort(mst_.begin(), mst_.end(), [this](const Edge& a, const Edge& b) {
    const T da = Row(a.i)[a.j], db = Row(b.i)[b.j];
    return da < db || (da == db && EdgeIndex(a.i, a.j) < EdgeIndex(b.i, b.j));
  });
  component_.resize(n_);
  for (uint32_t v = 0; v < n_; ++v) component_[v] = static_cast<int32_t>(v);
  auto find = [this](int32_t v) {
    while (component_[v] != v) v = component_[v] = component_[component_[v]];
    return v;
  };
  for (const Edge& e : mst_) {
    const int32_t a = find(static_cast<int32_t>(e.i)), b = find(static_cast<int32_t>(e.j));
    const int32_t elder = std::min(a, b), younger = std::max(a, b);
    component_[younger] = elder;
    const double death = Row(e.i)[e.j];
    if (death > 0) {
      PersistencePair pair;
      pair.dim = 0;
      pair.death = death;
      pair.birth_simplex = {younger, kNoVertex};
      pair.death_edge = {static_cast<int32_t>(e.i), static_cast<int32_t>(e.j)};
      out->pairs.push_back(pair);
    }
  }
  for (uint32_t v = 0; v < n_; ++v) {
    if (find(static_cast<int32_t>(v)) != static_cast<int32_t>(v)) continue;
    PersistencePair pair;
    pair.dim = 0;
    pair.birth_simplex = {static_cast<int32_t>(v), kNoVertex};
    out->pairs.push_back(pair);
  }
}

template class RipsWorkspace<float>;
template class RipsWorkspace<double>;

}  // namespace ptune::topology
