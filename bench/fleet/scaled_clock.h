// ScaledClock: simulated time for a benchmark. It starts at the machine's
// time and runs `factor` times faster: now() moves `factor` seconds for each
// real one, and a wait for `d` of its time (Clock::real_wait, how the update
// service sleeps between checks) takes d / factor of real time. The thread
// really sleeps and wakes, so the kernel's counters (wake-ups, CPU) of a
// simulated hour are those of a real one; only the sleeps are shorter.
//
// Immutable after construction: any thread may use it.
#pragma once

#include <ctime>

#include "upkeep/platform/clock.h"

namespace upkeep::bench {

class ScaledClock : public Clock {
 public:
  explicit ScaledClock(double factor)
      : factor_(factor), wall0_(std::chrono::system_clock::now()), steady0_(std::chrono::steady_clock::now()) {}
  TimePoint now() const override {
    return wall0_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                        (std::chrono::steady_clock::now() - steady0_) * factor_);
  }
  int local_minute_of_day() const override {
    const std::time_t t = unix_now();
    std::tm local{};
    localtime_r(&t, &local);
    return local.tm_hour * 60 + local.tm_min;
  }
  std::chrono::nanoseconds real_wait(std::chrono::nanoseconds d) const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(d / factor_);
  }
  double factor() const { return factor_; }

 private:
  const double factor_;
  const TimePoint wall0_;
  const std::chrono::steady_clock::time_point steady0_;
};

}  // namespace upkeep::bench
