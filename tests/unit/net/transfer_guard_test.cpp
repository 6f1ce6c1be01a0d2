// The deadline and minimum rate of every request (transfer_guard.h) against
// real hostile servers on 127.0.0.1 (tests/integration/hostile_mirror.h):
// each fails with Error(kNetwork) naming the URL and the limit, within a
// generous upper bound; wrong bytes are Fault::kDelivery.
#include "upkeep/net/transfer_guard.h"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "integration/hostile_mirror.h"
#include "test_support.h"
#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/net/http_fetcher.h"

using namespace std::chrono;
using upkeep::Error;
using upkeep::ErrorCode;
using upkeep::Fault;
using upkeep::net::FetchOptions;
using upkeep::net::HttpFetcher;
using upkeep::test::HostileMirror;
using upkeep::test::SilentServer;
using upkeep::test::TempDir;
using upkeep::test::write_text;
using Mode = HostileMirror::Mode;

namespace {

// 1 KiB/s over 1 s windows; the socket's own timeout far away, so only the guard can end a slow request.
FetchOptions strict() {
  FetchOptions o;
  o.connect_timeout = milliseconds(2000);
  o.stall_timeout = milliseconds(60000);
  o.min_rate_bytes_per_second = 1024;
  o.rate_window = milliseconds(1000);
  return o;
}

struct Served {
  TempDir dir;
  std::string content = std::string(64 * 1024, 'a');
  Served() { write_text(dir / "repo" / "pkg.zip", content); }
};

// Runs fn, which must throw an upkeep::Error, and says how long that took.
template <typename Fn>
std::pair<Error, steady_clock::duration> timed_error(Fn&& fn) {
  const auto t0 = steady_clock::now();
  try {
    fn();
  } catch (const Error& e) {
    return {e, steady_clock::now() - t0};
  }
  FAIL("expected an upkeep::Error");
  return {Error(ErrorCode::kOk, ""), {}};
}

// A TLS server in name only: it accepts one connection, reads the
// ClientHello, announces a 16 KiB handshake record and sends it one byte
// every 200 ms, for at most 20 s: a handshake that never ends in time.
class TlsDripServer {
 public:
  TlsDripServer() : thread_([this] { serve(); }) {}
  ~TlsDripServer() {
    {
      std::lock_guard<std::mutex> g(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(socket_.address().port()) + "/x"; }

 private:
  void serve() {
    Poco::Net::StreamSocket s;
    while (!stopped(milliseconds(0))) {
      if (socket_.poll(Poco::Timespan(100000), Poco::Net::Socket::SELECT_READ)) {
        s = socket_.acceptConnection();
        break;
      }
    }
    if (stopped(milliseconds(0))) return;
    try {
      char hello[4096];
      s.receiveBytes(hello, sizeof hello);
      const unsigned char header[] = {0x16, 0x03, 0x03, 0x3f, 0xff};  // handshake record, 16383 bytes
      s.sendBytes(header, sizeof header);
      for (int i = 0; i < 100 && !stopped(milliseconds(200)); ++i) s.sendBytes("\x02", 1);
    } catch (const Poco::Exception&) {
      // the client hung up: what the guard does
    }
  }
  bool stopped(milliseconds wait) {
    std::unique_lock<std::mutex> lock(mutex_);
    return wake_.wait_for(lock, wait, [this] { return stop_; });
  }

  Poco::Net::ServerSocket socket_{Poco::Net::SocketAddress("127.0.0.1", 0)};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

TEST_CASE("a TLS handshake that drips is held to the same minimum rate", "[net][transfer_guard]") {
  TlsDripServer server;
  HttpFetcher fetcher(strict());  // the connect timeout (2 s) is each handshake read's: a byte comes every 200 ms
  auto [e, took] = timed_error([&] { fetcher.get(server.url(), 1024); });
  CHECK(e.code() == ErrorCode::kNetwork);
  CHECK_THAT(e.what(), Catch::StartsWith(server.url() + ": too slow: "));
  CHECK(took < seconds(10));  // the server drips for 20 s: only the guard ends it sooner
}

TEST_CASE("a server that drips, stalls after the headers, or never answers fails within the limits, naming the URL",
          "[net][transfer_guard]") {
  Served s;
  for (Mode mode : {Mode::kDrip, Mode::kStall, Mode::kSilent}) {
    HostileMirror server(s.dir / "repo", "", mode);
    server.drip_interval = milliseconds(200);
    HttpFetcher fetcher(strict());
    const std::string url = server.url() + "pkg.zip";
    INFO("mode " << static_cast<int>(mode));
    auto [e, took] = timed_error(
        [&] { fetcher.download(url, s.dir / "out" / "pkg.zip", s.content.size(), upkeep::sha256_hex(s.content), {}); });
    CHECK(e.code() == ErrorCode::kNetwork);
    CHECK_THAT(e.what(), Catch::StartsWith(url + ": too slow: "));
    CHECK_THAT(e.what(), Catch::Contains("the minimum is 1024 bytes/s"));
    CHECK(took < seconds(10));  // the window is 1 s: an upper bound on a failure, not a measurement
    // Metadata (get) is held to the same limits.
    auto [g, took_get] = timed_error([&] { fetcher.get(url, 1 << 20); });
    CHECK(g.code() == ErrorCode::kNetwork);
    CHECK_THAT(g.what(), Catch::Contains("too slow"));
    CHECK(took_get < seconds(10));
  }
  // A listening socket that never accepts.
  SilentServer never;
  HttpFetcher fetcher(strict());
  auto [e, took] = timed_error([&] { fetcher.get(never.url + "metadata/timestamp.json", 1024); });
  CHECK(e.code() == ErrorCode::kNetwork);
  CHECK_THAT(e.what(), Catch::Contains("too slow"));
  CHECK(took < seconds(10));
}

TEST_CASE("the limits let an honest transfer through, and wrong bytes are the delivery's fault",
          "[net][transfer_guard]") {
  Served s;
  HostileMirror server(s.dir / "repo", "pkg.zip");
  HttpFetcher fetcher(strict());
  const std::string url = server.url() + "pkg.zip", sha = upkeep::sha256_hex(s.content);
  CHECK(fetcher.download(url, s.dir / "out" / "pkg.zip", s.content.size(), sha, {}).bytes_transferred ==
        s.content.size());
  for (Mode mode : {Mode::kTamper, Mode::kOversize}) {
    INFO("mode " << static_cast<int>(mode));
    server.set_mode(mode);
    auto [e, took] = timed_error([&] { fetcher.download(url, s.dir / "out2" / "pkg.zip", s.content.size(), sha, {}); });
    CHECK(e.code() == ErrorCode::kVerification);
    CHECK(e.fault() == Fault::kDelivery);
    CHECK_THAT(e.what(), Catch::Contains(mode == Mode::kTamper ? "SHA-256 mismatch" : "more than 65536 bytes"));
  }
  // Metadata past its cap, too.
  server.set_mode(Mode::kOversize);
  auto [g, took] = timed_error([&] { fetcher.get(url, s.content.size()); });
  CHECK(g.fault() == Fault::kDelivery);
}

TEST_CASE("the whole-request deadline scales with the expected length", "[net][transfer_guard]") {
  FetchOptions o = strict();  // connect 2 s, window 1 s, 1 KiB/s
  CHECK(upkeep::net::deadline_for(o, 0) == milliseconds(3000));
  CHECK(upkeep::net::deadline_for(o, 10 * 1024) == milliseconds(3000 + 20000));  // twice the time at the minimum rate
  CHECK(upkeep::net::deadline_for(o, UINT64_MAX) > hours(24 * 365));             // no overflow
}
