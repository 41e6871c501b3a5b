#include "common/backoff.h"

#include <algorithm>
#include <cmath>

namespace ptune {

Backoff::Backoff(const BackoffOptions& options, uint64_t seed) : options_(options), random_(seed) {}

std::chrono::milliseconds Backoff::Next() {
  const double base =
      static_cast<double>(options_.initial.count()) * std::pow(options_.multiplier, attempts_);
  const double capped = std::min(base, static_cast<double>(options_.max.count()));
  // Stop growing the exponent once capped so it never overflows.
  if (base < static_cast<double>(options_.max.count())) ++attempts_;
  std::uniform_real_distribution<double> factor(1.0 - options_.jitter, 1.0 + options_.jitter);
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(capped * factor(random_))));
}

}  // namespace ptune
