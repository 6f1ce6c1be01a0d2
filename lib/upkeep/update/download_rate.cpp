#include "upkeep/update/download_rate.h"

#include <cmath>

namespace upkeep {

void DownloadRate::add(uint64_t done) {
  const Clock::TimePoint now = clock_->now();
  if (!samples_.empty() && done < samples_.back().done) samples_.clear();
  samples_.push_back({now, done});
  // Keep one sample at or before the window's start, so the span covers the whole window.
  while (samples_.size() > 2 && samples_[1].at <= now - kWindow) samples_.pop_front();
}

double DownloadRate::bytes_per_second() const {
  if (samples_.size() < 2) return 0;
  const auto span = samples_.back().at - samples_.front().at;
  if (span < kMinSpan) return 0;
  const double seconds = std::chrono::duration<double>(span).count();
  return static_cast<double>(samples_.back().done - samples_.front().done) / seconds;
}

std::optional<std::chrono::seconds> DownloadRate::eta(uint64_t done, uint64_t total) const {
  const double rate = bytes_per_second();
  if (rate <= 0 || total == 0 || done > total) return std::nullopt;
  return std::chrono::seconds(static_cast<int64_t>(std::ceil(static_cast<double>(total - done) / rate)));
}

}  // namespace upkeep
