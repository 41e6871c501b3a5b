#include "common/backoff.h"

#include <gtest/gtest.h>

namespace ptune {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, GrowsExponentiallyUpToTheCapWithoutJitter) {
  BackoffOptions options;
  options.initial = milliseconds(100);
  options.max = milliseconds(1000);
  options.jitter = 0;
  Backoff backoff(options, 1);
  EXPECT_EQ(backoff.Next(), milliseconds(100));
  EXPECT_EQ(backoff.Next(), milliseconds(200));
  EXPECT_EQ(backoff.Next(), milliseconds(400));
  EXPECT_EQ(backoff.Next(), milliseconds(800));
  EXPECT_EQ(backoff.Next(), milliseconds(1000));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(backoff.Next(), milliseconds(1000));
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), milliseconds(100));
}

TEST(Backoff, JitterStaysInItsBandAndSpreadsWorkers) {
  BackoffOptions options;
  options.initial = milliseconds(1000);
  options.max = milliseconds(1000);
  options.jitter = 0.25;
  Backoff a(options, 1), b(options, 2);
  bool differ = false;
  for (int i = 0; i < 50; ++i) {
    const auto da = a.Next(), db = b.Next();
    EXPECT_GE(da, milliseconds(750));
    EXPECT_LE(da, milliseconds(1250));
    differ |= da != db;
  }
  EXPECT_TRUE(differ);
}

}  // namespace
}  // namespace ptune
