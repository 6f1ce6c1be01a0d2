// DownloadRate: a download's recent rate and the time left, smoothed over
// the last few seconds of progress reports, with the time from a Clock (a
// FixedClock in tests). A rate needs at least kMinSpan between the oldest
// and newest report kept; until then it is 0 and there is no ETA.
// Not thread-safe: its owner serialises the calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

#include "upkeep/platform/clock.h"

namespace upkeep {

class DownloadRate {
 public:
  static constexpr std::chrono::seconds kWindow{5};
  static constexpr std::chrono::milliseconds kMinSpan{200};

  explicit DownloadRate(std::shared_ptr<const Clock> clock) : clock_(std::move(clock)) {}

  // Records `done` bytes now. Fewer bytes than before (a new download) starts afresh.
  void add(uint64_t done);
  void reset() { samples_.clear(); }

  double bytes_per_second() const;
  // Seconds left for `total` bytes at the current rate; nullopt without a rate or a total.
  std::optional<std::chrono::seconds> eta(uint64_t done, uint64_t total) const;

 private:
  struct Sample {
    Clock::TimePoint at;
    uint64_t done;
  };
  std::shared_ptr<const Clock> clock_;
  std::deque<Sample> samples_;
};

}  // namespace upkeep
