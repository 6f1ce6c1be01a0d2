// The deadline and minimum rate of every request (transfer_guard.h) against
// real hostile servers on 127.0.0.1 (tests/integration/hostile_mirror.h):
// each fails with Error(kNetwork) naming the URL and the limit, within a
// generous upper bound; wrong bytes are Fault::kDelivery.
#include "upkeep/net/transfer_guard.h"

#include <catch2/catch.hpp>
#include <chrono>

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

}  // namespace

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
