// Clock: the time, behind an interface so that tests can set it: the local
// time of day (quiet hours, quiet_hours.h) and the wall clock (restart
// deadlines, update/restart_escalation.h; TUF expiries, tuf/tuf_client.h and
// publish/repository_publisher.h; the state store's timestamps).
// Code that keeps a `const Clock&` defaults to SystemClock::instance(),
// which lives as long as the program.
//
// SystemClock reads the machine's clock and time zone (clock_posix.cpp).
// Implementations must be safe to call from any thread; they never fail.
#pragma once

#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <string>

namespace upkeep {

class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  // Minutes since local midnight, 0..1439.
  virtual int local_minute_of_day() const = 0;
  // The wall clock (unix time), comparable with the state store's unix seconds.
  virtual TimePoint now() const = 0;
  // now() in whole unix seconds: TUF expiries, the state store's timestamps.
  std::time_t unix_now() const { return std::chrono::system_clock::to_time_t(now()); }
  // How long to wait, in real time, for `d` of this clock's time to pass: `d`, except on a
  // clock that runs faster than the real one (a benchmark's simulated hour, fleet_bench).
  // The update service sleeps between checks this long.
  virtual std::chrono::nanoseconds real_wait(std::chrono::nanoseconds d) const { return d; }
};

class SystemClock : public Clock {
 public:
  int local_minute_of_day() const override;
  TimePoint now() const override { return std::chrono::system_clock::now(); }
  static std::shared_ptr<const Clock> instance();
};

// "2025-06-02 14:05" in the machine's time zone, for people.
std::string format_local_time(Clock::TimePoint t);

// A clock that says what it was told, and moves only when told: tests.
// The minute of day and the wall clock are set independently.
class FixedClock : public Clock {
 public:
  explicit FixedClock(int minute_of_day) : minute_(minute_of_day) {}
  explicit FixedClock(TimePoint now) : now_(now.time_since_epoch().count()) {}
  // At unix time `t` (a named maker: a time_t would convert to the minute).
  static TimePoint at_unix(std::time_t t) { return std::chrono::system_clock::from_time_t(t); }
  int local_minute_of_day() const override { return minute_; }
  TimePoint now() const override { return TimePoint(TimePoint::duration(now_.load())); }
  void set(TimePoint t) { now_ = t.time_since_epoch().count(); }
  void advance(std::chrono::system_clock::duration d) { now_ += d.count(); }

 private:
  int minute_ = 0;
  std::atomic<TimePoint::rep> now_{0};
};

}  // namespace upkeep
