#include "server/clock.h"

namespace ptune::server {
namespace {

class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace

Clock* RealClock() {
  static Clock* const clock = new SteadyClock();
  return clock;
}

}  // namespace ptune::server
