#include "upkeep/net/transfer_guard.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <deque>

#include "upkeep/base/error.h"

namespace upkeep::net {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

std::string seconds(milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

}  // namespace

milliseconds deadline_for(const FetchOptions& opts, uint64_t expected_bytes) {
  const uint64_t rate = std::max<uint64_t>(opts.min_rate_bytes_per_second, 1);
  const uint64_t cap = static_cast<uint64_t>(milliseconds::max().count() / 4);
  const uint64_t at_rate_ms = std::min(expected_bytes / rate, cap / 2000) * 2000;
  return opts.connect_timeout + opts.rate_window + milliseconds(at_rate_ms);
}

TransferGuard::TransferGuard(std::string url, const FetchOptions& opts, uint64_t expected_bytes)
    : url_(std::move(url)),
      min_bytes_per_window_(opts.min_rate_bytes_per_second * static_cast<uint64_t>(opts.rate_window.count()) / 1000),
      window_(std::max(opts.rate_window, milliseconds(1))),
      deadline_(deadline_for(opts, expected_bytes)),
      expected_bytes_(expected_bytes),
      min_rate_(opts.min_rate_bytes_per_second),
      watchdog_([this] { watch(); }) {}

TransferGuard::~TransferGuard() {
  {
    std::lock_guard<std::mutex> g(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  watchdog_.join();
}

void TransferGuard::attach(int fd) {
  std::lock_guard<std::mutex> g(mutex_);
  fd_ = fd;
  if (why_ && fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

void TransferGuard::detach() {
  std::lock_guard<std::mutex> g(mutex_);
  fd_ = -1;
}

void TransferGuard::check() const {
  std::lock_guard<std::mutex> g(mutex_);
  if (why_) fail(ErrorCode::kNetwork, url_ + ": " + *why_);
}

void TransferGuard::trip(std::string why) {
  why_ = std::move(why);
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);  // wakes the blocked read; the request's thread closes the socket
}

// Samples the byte count a few times per window; the oldest sample kept is
// the newest one at least a window old, so "the last window" is exact to a tick.
void TransferGuard::watch() {
  const auto start = Clock::now();
  const milliseconds tick = std::clamp(window_ / 8, milliseconds(20), milliseconds(1000));
  std::deque<std::pair<Clock::time_point, uint64_t>> samples{{start, 0}};
  std::unique_lock<std::mutex> lock(mutex_);
  while (!done_ && !why_) {
    if (wake_.wait_for(lock, tick, [this] { return done_; })) return;
    const auto now = Clock::now();
    samples.emplace_back(now, bytes_.load(std::memory_order_relaxed));
    while (samples.size() > 1 && samples[1].first <= now - window_) samples.pop_front();
    if (now - start >= deadline_) {
      trip("not complete after " + seconds(deadline_) + " (the deadline for " + std::to_string(expected_bytes_) +
           " bytes at the minimum rate of " + std::to_string(min_rate_) + " bytes/s)");
    } else if (samples.front().first <= now - window_ &&
               samples.back().second - samples.front().second < min_bytes_per_window_) {
      trip("too slow: " + std::to_string(samples.back().second - samples.front().second) + " bytes in the last " +
           seconds(window_) + ", the minimum is " + std::to_string(min_rate_) + " bytes/s");
    }
  }
}

}  // namespace upkeep::net
