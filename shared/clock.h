// Clock: the local time of day, behind an interface so that tests can set
// the time (quiet hours, quiet_hours.h).
//
// SystemClock reads the machine's clock and time zone (clock_posix.cpp).
// Implementations must be safe to call from any thread; they never fail.
#pragma once

#include <memory>

namespace upkeep {

class Clock {
 public:
  virtual ~Clock() = default;
  // Minutes since local midnight, 0..1439.
  virtual int local_minute_of_day() const = 0;
};

class SystemClock : public Clock {
 public:
  int local_minute_of_day() const override;
  static std::shared_ptr<const Clock> instance();
};

// A clock that says what it was told: tests.
class FixedClock : public Clock {
 public:
  explicit FixedClock(int minute_of_day) : minute_(minute_of_day) {}
  int local_minute_of_day() const override { return minute_; }

 private:
  int minute_;
};

}  // namespace upkeep
