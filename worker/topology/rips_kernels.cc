// Kernel selection, and the AVX2 versions of the float kernels. These are compiled
// for AVX2 through function attributes (not a -mavx2 file), so no inline function of a
// header is ever emitted with AVX2 instructions for CPUs that lack them; they are only
// called after __builtin_cpu_supports("avx2").
#include "worker/topology/rips_kernels.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define PTUNE_TOPOLOGY_AVX2 1
#endif

namespace ptune::topology {
namespace {

template <typename T>
constexpr KernelSet<T> kBaseline = {
    &kernels::FirstBothAtMost<T>,
    &kernels::ExtractMin<T>,
    &kernels::CofacetDiameters<T>,
    &kernels::PrimRelax<T>,
};

#ifdef PTUNE_TOPOLOGY_AVX2
#define PTUNE_AVX2 __attribute__((target("avx2")))

PTUNE_AVX2 int32_t FirstBothAtMostAvx2(const float* a, const float* b, uint32_t length, float d,
                                       uint32_t i, uint32_t j) {
  const __m256 dv = _mm256_set1_ps(d);
  for (uint32_t k0 = 0; k0 < length; k0 += 8) {
    const __m256 both = _mm256_and_ps(_mm256_cmp_ps(_mm256_loadu_ps(a + k0), dv, _CMP_LE_OQ),
                                      _mm256_cmp_ps(_mm256_loadu_ps(b + k0), dv, _CMP_LE_OQ));
    uint32_t mask = static_cast<uint32_t>(_mm256_movemask_ps(both));
    if (mask == 0) continue;
    if (i - k0 < 8) mask &= ~(1u << (i - k0));
    if (j - k0 < 8) mask &= ~(1u << (j - k0));
    if (mask != 0) return static_cast<int32_t>(k0 + __builtin_ctz(mask));
  }
  return -1;
}

PTUNE_AVX2 float HorizontalMinAvx2(__m256 x) {
  __m128 m = _mm_min_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
  m = _mm_min_ps(m, _mm_shuffle_ps(m, m, _MM_SHUFFLE(2, 3, 0, 1)));
  m = _mm_min_ps(m, _mm_shuffle_ps(m, m, _MM_SHUFFLE(1, 0, 3, 2)));
  return _mm_cvtss_f32(m);
}

PTUNE_AVX2 bool ExtractMinAvx2(float* v, uint32_t length, float* value, uint32_t* at) {
  const __m256 inf = _mm256_set1_ps(std::numeric_limits<float>::infinity());
  __m256 m0 = inf, m1 = inf;  // two chains: min latency, not throughput, bounds this
  uint32_t k = 0;
  for (; k + 16 <= length; k += 16) {
    m0 = _mm256_min_ps(m0, _mm256_loadu_ps(v + k));
    m1 = _mm256_min_ps(m1, _mm256_loadu_ps(v + k + 8));
  }
  if (k < length) m0 = _mm256_min_ps(m0, _mm256_loadu_ps(v + k));
  const float best = HorizontalMinAvx2(_mm256_min_ps(m0, m1));
  if (best == std::numeric_limits<float>::infinity()) return false;
  const __m256 bv = _mm256_set1_ps(best);
  for (k = 0;; k += 8) {
    const int mask = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(v + k), bv, _CMP_EQ_OQ));
    if (mask != 0) {
      *at = k + static_cast<uint32_t>(__builtin_ctz(mask));
      break;
    }
  }
  *value = best;
  v[*at] = std::numeric_limits<float>::infinity();
  return true;
}

PTUNE_AVX2 void CofacetDiametersAvx2(const float* a, const float* b, float d, float limit,
                                     uint32_t length, float* v) {
  const __m256 dv = _mm256_set1_ps(d), lv = _mm256_set1_ps(limit);
  const __m256 inf = _mm256_set1_ps(std::numeric_limits<float>::infinity());
  for (uint32_t k = 0; k < length; k += 8) {
    const __m256 diam =
        _mm256_max_ps(dv, _mm256_max_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k)));
    _mm256_storeu_ps(v + k, _mm256_blendv_ps(inf, diam, _mm256_cmp_ps(diam, lv, _CMP_LE_OQ)));
  }
}

PTUNE_AVX2 float PrimRelaxAvx2(const float* row, float* key, int32_t* parent, int32_t v,
                               uint32_t length, float limit, bool* tie) {
  const __m256 lv = _mm256_set1_ps(limit), zero = _mm256_setzero_ps();
  const __m256 inf = _mm256_set1_ps(std::numeric_limits<float>::infinity());
  const __m256 vv = _mm256_castsi256_ps(_mm256_set1_epi32(v));
  __m256 best = inf, ties = zero;
  for (uint32_t u = 0; u < length; u += 8) {
    const __m256 d = _mm256_loadu_ps(row + u), k = _mm256_loadu_ps(key + u);
    const __m256 within = _mm256_cmp_ps(d, lv, _CMP_LE_OQ);
    ties = _mm256_or_ps(ties, _mm256_and_ps(within, _mm256_cmp_ps(d, k, _CMP_EQ_OQ)));
    const __m256 take = _mm256_and_ps(within, _mm256_cmp_ps(d, k, _CMP_LT_OQ));
    const __m256 next = _mm256_blendv_ps(k, d, take);
    _mm256_storeu_ps(key + u, next);
    float* p = reinterpret_cast<float*>(parent + u);  // moved as bits, never as numbers
    _mm256_storeu_ps(p, _mm256_blendv_ps(_mm256_loadu_ps(p), vv, take));
    best = _mm256_min_ps(best, _mm256_blendv_ps(inf, next, _mm256_cmp_ps(next, zero, _CMP_GE_OQ)));
  }
  *tie = _mm256_movemask_ps(ties) != 0;
  return HorizontalMinAvx2(best);
}

constexpr KernelSet<float> kAvx2 = {
    &FirstBothAtMostAvx2,
    &ExtractMinAvx2,
    &CofacetDiametersAvx2,
    &PrimRelaxAvx2,
};
#endif  // PTUNE_TOPOLOGY_AVX2

}  // namespace

template <>
KernelSet<float> BestKernels<float>() {
#ifdef PTUNE_TOPOLOGY_AVX2
  if (__builtin_cpu_supports("avx2")) return kAvx2;
#endif
  return kBaseline<float>;
}

template <>
KernelSet<double> BestKernels<double>() {
  return kBaseline<double>;
}

template <typename T>
KernelSet<T> BaselineKernels() {
  return kBaseline<T>;
}

template KernelSet<float> BaselineKernels<float>();
template KernelSet<double> BaselineKernels<double>();

}  // namespace ptune::topology
