// The engine's vector kernels: the set chosen for this CPU (AVX2 where available)
// must give exactly the results of the baseline set, on rows with ties, +inf entries
// and the +inf padding; and the baseline must agree with a plain loop.
#include "worker/topology/rips_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace ptune::topology {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// A padded row of small integers (many ties) with some +inf entries.
std::vector<float> Row(uint32_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> value(0, 9);
  std::vector<float> row(PaddedLength(n), kInf);
  for (uint32_t k = 0; k < n; ++k) row[k] = value(rng) == 9 ? kInf : static_cast<float>(value(rng));
  return row;
}

TEST(RipsKernels, BestEqualsBaselineEqualsPlainLoops) {
  const KernelSet<float> best = BestKernels<float>(), base = BaselineKernels<float>();
  std::mt19937 rng(7);
  for (uint32_t n : {1u, 7u, 8u, 9u, 16u, 17u, 100u, 129u}) {
    const uint32_t length = PaddedLength(n);
    for (int trial = 0; trial < 50; ++trial) {
      SCOPED_TRACE(testing::Message() << "n=" << n << " trial=" << trial);
      const std::vector<float> a = Row(n, rng), b = Row(n, rng);
      const uint32_t i = rng() % n, j = rng() % n;
      const float d = static_cast<float>(rng() % 10);
      int32_t plain = -1;
      for (uint32_t k = 0; k < n && plain < 0; ++k) {
        if (k != i && k != j && a[k] <= d && b[k] <= d) plain = static_cast<int32_t>(k);
      }
      EXPECT_EQ(base.first_both_at_most(a.data(), b.data(), length, d, i, j), plain);
      EXPECT_EQ(best.first_both_at_most(a.data(), b.data(), length, d, i, j), plain);

      std::vector<float> v1(length), v2(length);
      base.cofacet_diameters(a.data(), b.data(), d, 6.5f, length, v1.data());
      best.cofacet_diameters(a.data(), b.data(), d, 6.5f, length, v2.data());
      EXPECT_EQ(v1, v2);
      for (uint32_t k = 0; k < length; ++k) {
        const float diam = std::max(d, std::max(a[k], b[k]));
        EXPECT_EQ(v1[k], diam <= 6.5f ? diam : kInf);
      }
      // Drain both copies: same values in the same (value, first position) order.
      for (;;) {
        float x1 = -1, x2 = -1;
        uint32_t at1 = 0, at2 = 0;
        const bool more1 = base.extract_min(v1.data(), length, &x1, &at1);
        ASSERT_EQ(more1, best.extract_min(v2.data(), length, &x2, &at2));
        if (!more1) break;
        EXPECT_EQ(x1, x2);
        EXPECT_EQ(at1, at2);
        EXPECT_EQ(v1, v2);
      }

      std::vector<float> key1 = Row(n, rng);
      for (uint32_t u = n; u < length; ++u) key1[u] = -1;
      key1[i] = -1;  // in the tree
      std::vector<float> key2 = key1;
      std::vector<int32_t> parent1(length, 3), parent2(length, 3);
      bool tie1 = false, tie2 = false;
      const float m1 =
          base.prim_relax(a.data(), key1.data(), parent1.data(), 5, length, 7.f, &tie1);
      const float m2 =
          best.prim_relax(a.data(), key2.data(), parent2.data(), 5, length, 7.f, &tie2);
      EXPECT_EQ(m1, m2);
      EXPECT_EQ(tie1, tie2);
      EXPECT_EQ(key1, key2);
      EXPECT_EQ(parent1, parent2);
    }
  }
}

}  // namespace
}  // namespace ptune::topology
