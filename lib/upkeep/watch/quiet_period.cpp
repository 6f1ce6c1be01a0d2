#include "upkeep/watch/quiet_period.h"

#include <algorithm>

namespace upkeep::watch {

QuietPeriod::QuietPeriod(Duration quiet, const Clock& clock, Duration max_backoff)
    : quiet_(quiet), max_backoff_(std::max(max_backoff, quiet)), clock_(clock) {}

void QuietPeriod::note_change() {
  // Also after a failure: a change (the build fixed?) is tried a quiet
  // period after it, whatever the backoff said; the backoff still grows if
  // that try fails too.
  due_ = clock_.now() + quiet_;
}

bool QuietPeriod::due() const { return due_ && clock_.now() >= *due_; }

std::optional<QuietPeriod::Duration> QuietPeriod::time_left() const {
  if (!due_) return std::nullopt;
  const auto left = std::chrono::duration_cast<Duration>(*due_ - clock_.now());
  return std::max(left, Duration(0));
}

void QuietPeriod::succeeded() {
  due_.reset();
  failures_ = 0;
}

QuietPeriod::Duration QuietPeriod::failed() {
  Duration delay = quiet_;
  for (int i = 0; i < failures_ && delay < max_backoff_; ++i) delay *= 2;
  delay = std::min(delay, max_backoff_);
  ++failures_;
  due_ = clock_.now() + delay;
  return delay;
}

}  // namespace upkeep::watch
