#ifndef PTUNE_COMMON_BACKOFF_H_
#define PTUNE_COMMON_BACKOFF_H_

// Retry delays (a worker reconnecting to the scheduler, a client retrying a call):
// exponential growth with a cap and random jitter, so a fleet that lost the same server
// does not reconnect in lock-step.

#include <chrono>
#include <cstdint>
#include <random>

namespace ptune {

struct BackoffOptions {
  std::chrono::milliseconds initial{200};
  std::chrono::milliseconds max{10000};
  double multiplier = 2.0;
  // Each delay is scaled by a uniform factor in [1 - jitter, 1 + jitter] (0 <= jitter < 1).
  double jitter = 0.2;
};

class Backoff {
 public:
  Backoff(const BackoffOptions& options, uint64_t seed);

  // The delay before the next attempt; grows by `multiplier` per call up to `max`
  // (before jitter).
  std::chrono::milliseconds Next();
  // A connection succeeded: the next delay is `initial` again.
  void Reset() { attempts_ = 0; }

 private:
  const BackoffOptions options_;
  std::mt19937_64 random_;
  int attempts_ = 0;
};

}  // namespace ptune

#endif  // PTUNE_COMMON_BACKOFF_H_
