// QuietPeriod: "act once, after the folder has been quiet for a while".
//
// Each relevant change moves the due time to `quiet` after it, so a build
// that writes hundreds of files over several seconds is acted on once, when
// it stops. A failed action is tried again after a growing backoff (or, if
// sooner, a quiet period after the next change). Time comes from a Clock
// (platform/clock.h): tests drive it with a FixedClock, no sleeps. One
// thread; never throws.
#pragma once

#include <chrono>
#include <optional>

#include "upkeep/platform/clock.h"

namespace upkeep::watch {

class QuietPeriod {
 public:
  using Duration = std::chrono::milliseconds;
  // `clock` outlives this object. `max_backoff` caps the retry delay.
  QuietPeriod(Duration quiet, const Clock& clock, Duration max_backoff = std::chrono::minutes(5));

  // A relevant change happened now.
  void note_change();
  // Something is waiting to be acted on.
  bool pending() const { return due_.has_value(); }
  // Pending, and its time has come.
  bool due() const;
  // How long a watcher may sleep before due() can become true: 0 when due,
  // nullopt when nothing is pending.
  std::optional<Duration> time_left() const;

  // The action succeeded: nothing is pending, the backoff starts over.
  void succeeded();
  // The action failed: pending again, due after the backoff (the quiet
  // period, doubled after each failure in a row, at most max_backoff).
  // Returns that delay.
  Duration failed();
  int failures_in_a_row() const { return failures_; }

 private:
  Duration quiet_;
  Duration max_backoff_;
  const Clock& clock_;
  std::optional<Clock::TimePoint> due_;
  int failures_ = 0;
};

}  // namespace upkeep::watch
