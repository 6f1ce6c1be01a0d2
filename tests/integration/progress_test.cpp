// The download's progress as a person sees it (issue #19): on a real
// terminal (a pty made by script(1)) the updater redraws one line on stderr
// at most about ten times a second, in human units with rate and time left,
// from a slow but steady local server; piped, it writes no progress byte,
// and with --verbose one line per download.
#include <chrono>

#include "hostile_mirror.h"
#include "release_fixture.h"

using namespace upkeep::test;
using Mode = HostileMirror::Mode;

namespace {

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// 1.0.0 installed from a server that sends packages 16 kB every 10 ms (about
// 1.6 MB/s: a 1.3 MB package takes close to a second), 2.0.0 released.
struct SlowUpdate {
  VendorRepo vendor;
  const bool released = (vendor.release(vendor.build_folder("1.0.0"), "1.0.0"), true);
  HostileMirror server{vendor.repo(), ".package.zip"};
  Installed app{server.url(), vendor.root_json(), "1.0.0"};
  SlowUpdate() {
    vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
    server.drip_interval = std::chrono::milliseconds(10);
    server.drip_bytes = 16 * 1024;
    server.set_mode(Mode::kDrip);
  }
  std::vector<std::string> updater(std::vector<std::string> extra = {}) const {
    std::vector<std::string> argv{(app.prefix() / "upkeep-updater").string(), "--root", app.prefix().string(),
                                  "--check-now"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
};

}  // namespace

TEST_CASE("progress on a terminal: one line redrawn at most ~10 times a second, with units, rate and time left",
          "[progress][integration]") {
  SlowUpdate u;
  std::string command;
  for (const auto& a : u.updater()) command += (command.empty() ? "" : " ") + a;
  const auto started = std::chrono::steady_clock::now();
  // script(1) runs the updater on a new pty and copies what the terminal shows to its stdout.
  RunResult r = run({"/usr/bin/script", "-qfec", command, "/dev/null"});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(u.app.state_of("2.0.0") == "staged");
  const size_t redraws = count_of(r.out, "\rdownloading 2.0.0 ");
  CAPTURE(redraws, seconds);
  CHECK(seconds > 0.5);  // slow enough to watch: the old bar redrew once per 64 kB, about 20 times here
  CHECK(redraws >= 3);
  CHECK(redraws <= static_cast<size_t>(10 * seconds) + 2);
  CHECK(contains(r.out, "100% [####################] 1."));  // "1.3 MB of 1.3 MB": human units
  CHECK(contains(r.out, " MB of "));
  CHECK(contains(r.out, " MB/s"));
  CHECK(contains(r.out, " s left"));
  CHECK_FALSE(contains(r.out, "0.0 MB"));
}

TEST_CASE("progress piped: no progress byte, and with --verbose one line per download", "[progress][integration]") {
  SlowUpdate u;
  RunResult quiet = run_ok(u.updater());
  CHECK_FALSE(contains(quiet.err, "downloading"));
  CHECK(quiet.err.find('\r') == std::string::npos);
  CHECK(quiet.out.find('\r') == std::string::npos);
  CHECK(contains(quiet.out, "version 2.0.0 downloaded, verified and staged"));

  run_ok({u.app.launcher().string(), "--exit-after-check", "--ui", "terminal"}, {}, std::string());  // 2.0.0 applied
  u.vendor.release(u.vendor.build_folder("3.0.0"), "3.0.0");
  RunResult verbose = run_ok(u.updater({"--verbose"}));
  INFO(verbose.err);
  CHECK(count_of(verbose.err, "downloading 3.0.0: ") == 1);  // "downloading 3.0.0: 1.3 MB in 0.9 s (1.4 MB/s)"
  CHECK(contains(verbose.err, " MB in "));
  CHECK(verbose.err.find('\r') == std::string::npos);
}
