#ifndef PTUNE_SERVER_CLOCK_H_
#define PTUNE_SERVER_CLOCK_H_

#include <chrono>

namespace ptune::server {

// The monotonic time the scheduler's leases, cancel re-sends and queue waits are
// measured on. Injected so tests move time by hand and check leases deterministically.
// Implementations are thread-safe.
class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// std::chrono::steady_clock; never destroyed.
Clock* RealClock();

}  // namespace ptune::server

#endif  // PTUNE_SERVER_CLOCK_H_
