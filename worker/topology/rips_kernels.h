// Internal to the topology library: the vector loops of the engine, over matrix rows
// padded to a multiple of kRowAlign entries whose padding holds +inf (rips_workspace.h).
// The padding lets every loop run in whole vectors without a scalar tail.
//
// Each kernel has a portable version for any value type and an SSE2 version for float
// (SSE2 is the x86-64 baseline; the compiler does not vectorise these loops itself:
// min reductions over floats need -ffast-math, and early exits defeat it).
#ifndef PTUNE_WORKER_TOPOLOGY_RIPS_KERNELS_H_
#define PTUNE_WORKER_TOPOLOGY_RIPS_KERNELS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace ptune::topology {

// Row length of the engine's matrix: a multiple of this many entries.
inline constexpr uint32_t kRowAlign = 8;
inline uint32_t PaddedLength(uint32_t n) { return (n + kRowAlign - 1) / kRowAlign * kRowAlign; }

namespace kernels {

// Bit u of the result is set when a[u] <= d and b[u] <= d, for u < kRowAlign.
template <typename T>
inline uint32_t BothAtMostMask(const T* a, const T* b, T d) {
  uint32_t mask = 0;
  for (uint32_t u = 0; u < kRowAlign; ++u) {
    mask |= static_cast<uint32_t>((a[u] <= d) & (b[u] <= d)) << u;
  }
  return mask;
}

// The smallest entry of v[0, length), length a multiple of kRowAlign.
template <typename T>
inline T MinEntry(const T* v, uint32_t length) {
  T lane[kRowAlign];
  std::fill(lane, lane + kRowAlign, std::numeric_limits<T>::infinity());
  for (uint32_t k = 0; k < length; k += kRowAlign) {
    for (uint32_t u = 0; u < kRowAlign; ++u) lane[u] = std::min(lane[u], v[k + u]);
  }
  return *std::min_element(lane, lane + kRowAlign);
}

// The first k with v[k] == x; x must occur in v.
template <typename T>
inline uint32_t FindEntry(const T* v, T x) {
  uint32_t k = 0;
  while (v[k] != x) ++k;
  return k;
}

// v[k] = max(d, a[k], b[k]) if that is <= limit, else +inf, for k < length.
template <typename T>
inline void CofacetDiameters(const T* a, const T* b, T d, T limit, uint32_t length, T* v) {
  const T inf = std::numeric_limits<T>::infinity();
  for (uint32_t k = 0; k < length; ++k) {
    const T diam = std::max(d, std::max(a[k], b[k]));
    v[k] = diam <= limit ? diam : inf;
  }
}

// One step of Prim's algorithm from the vertex just added, over entries [0, length):
// where row[u] <= limit and row[u] < key[u], key[u] = row[u] and parent[u] = v.
// Vertices in the tree (and the padding) hold key -1, so they never change. Returns
// the smallest key >= 0 afterwards (+inf if none); *tie is set if some row[u] equalled
// key[u] within the limit (the caller breaks such ties by edge index).
template <typename T>
inline T PrimRelax(const T* row, T* key, int32_t* parent, int32_t v, uint32_t length, T limit,
                   bool* tie) {
  T best = std::numeric_limits<T>::infinity();
  bool any_tie = false;
  for (uint32_t u = 0; u < length; ++u) {
    const T d = row[u];
    const bool within = d <= limit;
    any_tie |= within && d == key[u];
    if (within && d < key[u]) {
      key[u] = d;
      parent[u] = v;
    }
    if (key[u] >= 0) best = std::min(best, key[u]);
  }
  *tie = any_tie;
  return best;
}

// True if every entry of v[0, count) is >= 0 (false for NaN).
template <typename T>
inline bool AllNonNegative(const T* v, size_t count) {
  bool ok = true;
  for (size_t k = 0; k < count; ++k) ok &= v[k] >= 0;
  return ok;
}

#ifdef __SSE2__
template <>
inline uint32_t BothAtMostMask<float>(const float* a, const float* b, float d) {
  const __m128 dv = _mm_set1_ps(d);
  const __m128 lo =
      _mm_and_ps(_mm_cmple_ps(_mm_loadu_ps(a), dv), _mm_cmple_ps(_mm_loadu_ps(b), dv));
  const __m128 hi =
      _mm_and_ps(_mm_cmple_ps(_mm_loadu_ps(a + 4), dv), _mm_cmple_ps(_mm_loadu_ps(b + 4), dv));
  return static_cast<uint32_t>(_mm_movemask_ps(lo) | (_mm_movemask_ps(hi) << 4));
}

inline float HorizontalMin(__m128 x) {
  x = _mm_min_ps(x, _mm_shuffle_ps(x, x, _MM_SHUFFLE(2, 3, 0, 1)));
  x = _mm_min_ps(x, _mm_shuffle_ps(x, x, _MM_SHUFFLE(1, 0, 3, 2)));
  return _mm_cvtss_f32(x);
}

template <>
inline float MinEntry<float>(const float* v, uint32_t length) {
  __m128 lo = _mm_set1_ps(std::numeric_limits<float>::infinity()), hi = lo;
  for (uint32_t k = 0; k < length; k += kRowAlign) {
    lo = _mm_min_ps(lo, _mm_loadu_ps(v + k));
    hi = _mm_min_ps(hi, _mm_loadu_ps(v + k + 4));
  }
  return HorizontalMin(_mm_min_ps(lo, hi));
}

template <>
inline uint32_t FindEntry<float>(const float* v, float x) {
  const __m128 xv = _mm_set1_ps(x);
  for (uint32_t k = 0;; k += 4) {
    const int mask = _mm_movemask_ps(_mm_cmpeq_ps(_mm_loadu_ps(v + k), xv));
    if (mask != 0) return k + static_cast<uint32_t>(__builtin_ctz(mask));
  }
}

template <>
inline void CofacetDiameters<float>(const float* a, const float* b, float d, float limit,
                                    uint32_t length, float* v) {
  const __m128 dv = _mm_set1_ps(d), lv = _mm_set1_ps(limit);
  const __m128 inf = _mm_set1_ps(std::numeric_limits<float>::infinity());
  for (uint32_t k = 0; k < length; k += 4) {
    const __m128 diam = _mm_max_ps(dv, _mm_max_ps(_mm_loadu_ps(a + k), _mm_loadu_ps(b + k)));
    const __m128 keep = _mm_cmple_ps(diam, lv);
    _mm_storeu_ps(v + k, _mm_or_ps(_mm_and_ps(keep, diam), _mm_andnot_ps(keep, inf)));
  }
}

template <>
inline float PrimRelax<float>(const float* row, float* key, int32_t* parent, int32_t v,
                              uint32_t length, float limit, bool* tie) {
  const __m128 lv = _mm_set1_ps(limit), zero = _mm_setzero_ps();
  const __m128 inf = _mm_set1_ps(std::numeric_limits<float>::infinity());
  const __m128i vv = _mm_set1_epi32(v);
  __m128 best = inf, ties = zero;
  for (uint32_t u = 0; u < length; u += 4) {
    const __m128 d = _mm_loadu_ps(row + u), k = _mm_loadu_ps(key + u);
    const __m128 within = _mm_cmple_ps(d, lv);
    ties = _mm_or_ps(ties, _mm_and_ps(within, _mm_cmpeq_ps(d, k)));
    const __m128 take = _mm_and_ps(within, _mm_cmplt_ps(d, k));
    const __m128 next = _mm_or_ps(_mm_and_ps(take, d), _mm_andnot_ps(take, k));
    _mm_storeu_ps(key + u, next);
    const __m128i take_i = _mm_castps_si128(take);
    __m128i* p = reinterpret_cast<__m128i*>(parent + u);
    _mm_storeu_si128(
        p, _mm_or_si128(_mm_and_si128(take_i, vv), _mm_andnot_si128(take_i, _mm_loadu_si128(p))));
    const __m128 open = _mm_cmpge_ps(next, zero);
    best = _mm_min_ps(best, _mm_or_ps(_mm_and_ps(open, next), _mm_andnot_ps(open, inf)));
  }
  *tie = _mm_movemask_ps(ties) != 0;
  return HorizontalMin(best);
}

template <>
inline bool AllNonNegative<float>(const float* v, size_t count) {
  const __m128 zero = _mm_setzero_ps();
  __m128 ok = _mm_castsi128_ps(_mm_set1_epi32(-1));
  size_t k = 0;
  for (; k + 4 <= count; k += 4) ok = _mm_and_ps(ok, _mm_cmpge_ps(_mm_loadu_ps(v + k), zero));
  bool all = _mm_movemask_ps(ok) == 0xF;
  for (; k < count; ++k) all &= v[k] >= 0;
  return all;
}
#endif  // __SSE2__

}  // namespace kernels
}  // namespace ptune::topology

#endif  // PTUNE_WORKER_TOPOLOGY_RIPS_KERNELS_H_
