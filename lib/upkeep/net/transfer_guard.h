// TransferGuard: the deadline and minimum transfer rate of one HTTP(S)
// request, so that no server (or man in the middle) can hold a download by
// answering slowly: one byte every few seconds, headers and then nothing,
// or a connection accepted and never answered.
//
// Two limits, both from FetchOptions (curl's --speed-limit/--speed-time and
// --max-time): fewer than min_rate_bytes_per_second * rate_window body bytes
// arrived over the last rate_window ("too slow"), or the whole request
// outlasts deadline_for(expected bytes) ("not complete after"). A watchdog
// thread checks both a few times per window; when one is passed it shuts the
// request's socket down (attach()), which wakes whatever read or write
// blocks on it, in the headers, the TLS records or the body. The request's
// thread then calls check(), which throws the guard's Error(kNetwork)
// naming the URL and the limit.
//
// Threads: count(), attach(), detach() and check() from the request's
// thread; the watchdog is the guard's own. A socket is attached once
// connected and before the TLS handshake (http_fetcher.cpp), so the limits
// bound the handshake too, except through an HTTPS proxy, where Poco shakes
// hands inside connect: there each read is bounded by the connect timeout.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "upkeep/net/fetcher.h"

namespace upkeep::net {

// The whole-request deadline for a transfer of up to `expected_bytes`:
// connect timeout + rate window + twice the time at the minimum rate.
std::chrono::milliseconds deadline_for(const FetchOptions& opts, uint64_t expected_bytes);

class TransferGuard {
 public:
  // Starts the watchdog; `url` names the request in errors.
  TransferGuard(std::string url, const FetchOptions& opts, uint64_t expected_bytes);
  ~TransferGuard();
  TransferGuard(const TransferGuard&) = delete;
  TransferGuard& operator=(const TransferGuard&) = delete;

  // The connected socket of the request (one at a time: a redirect detaches
  // the old one before closing it). Shut down at once when a limit has passed.
  void attach(int fd);
  void detach();
  // Body bytes received.
  void count(uint64_t n) { bytes_.fetch_add(n, std::memory_order_relaxed); }
  // Throws Error(kNetwork) when a limit was passed; call it when a read failed or ended.
  void check() const;

 private:
  void watch();
  void trip(std::string why);  // with mutex_ held

  const std::string url_;
  const uint64_t min_bytes_per_window_;
  const std::chrono::milliseconds window_;
  const std::chrono::milliseconds deadline_;
  const uint64_t expected_bytes_;
  const uint64_t min_rate_;
  std::atomic<uint64_t> bytes_{0};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  int fd_ = -1;
  std::optional<std::string> why_;
  std::thread watchdog_;
};

}  // namespace upkeep::net
