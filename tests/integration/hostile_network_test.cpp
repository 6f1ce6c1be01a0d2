// An on-path attacker can delay an update but never freeze an install
// (issue #17), with the real launcher, updater and mainapp against hostile
// servers on 127.0.0.1 (hostile_mirror.h): wrong bytes are never a failed
// try, a slow server fails a check within its limits while the app starts,
// and automatic checks back off after failures while a person's do not.
#include <chrono>

#include "hostile_mirror.h"
#include "release_fixture.h"
#include "upkeep/policy/config.h"

using namespace upkeep::test;
using Mode = HostileMirror::Mode;
using namespace std::chrono;

namespace {

RunResult check_now(const Installed& app, const std::string& flag = "--check-now") {
  return run({(app.prefix() / "upkeep-updater").string(), "--root", app.prefix().string(), flag});
}

}  // namespace

TEST_CASE(
    "tampered and oversize package downloads are no failed tries: once the honest server is back the release is "
    "applied",
    "[hostile][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  HostileMirror server(vendor.repo(), ".package.zip");
  Installed app(server.url(), vendor.root_json(), "1.0.0");

  // Four tampered downloads (one more than max_update_failures), then two with a Content-Length past the signed length.
  server.set_mode(Mode::kTamper);
  for (int i = 1; i <= 6; ++i) {
    if (i == 5) server.set_mode(Mode::kOversize);
    RunResult r = check_now(app);
    INFO("check " << i << "\nstderr:\n" << r.err);
    CHECK(r.exit_code == 5);
    CHECK(contains(r.err, i < 5 ? "SHA-256 mismatch" : "more than "));
    CHECK_FALSE(contains(r.err, "failed try"));
  }
  CHECK(server.hostile_requests() == 6);
  CHECK(app.status().get_array("failures").empty());
  CHECK(app.state_of("2.0.0") != "quarantined");

  server.set_mode(Mode::kHonest);
  RunResult staged = check_now(app);
  INFO(staged.err);
  CHECK(staged.exit_code == 0);
  RunResult r = run_ok({app.launcher().string(), "--version"});
  CHECK(r.out == "mainapp 2.0.0\n");
  CHECK(app.state_of("2.0.0") == "good");
}

TEST_CASE(
    "a repository that drips, stalls or never answers fails a check within its limits, the app starts, and "
    "automatic checks back off",
    "[hostile][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  HostileMirror server(vendor.repo(), "");
  Installed app(server.url(), vendor.root_json(), "1.0.0");
  edit_config(app.prefix(), [](upkeep::Config& c) {
    c.check_on_start = true;
    c.check_on_start_deadline_seconds = 60;  // the updater's own limits end it first
    c.min_transfer_rate_seconds = 2;
  });

  // A check on start meets a server dripping one byte a second: the updater
  // gives up after the 2 s window with the network error, and the app starts.
  server.set_mode(Mode::kDrip);
  auto t0 = steady_clock::now();
  RunResult r = run({app.launcher().string(), "--version"});
  auto took = steady_clock::now() - t0;
  INFO("stderr:\n" << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "mainapp 1.0.0\n");
  CHECK(contains(r.err, "the update check failed (exit 6)"));
  CHECK(took < seconds(30));
  std::string log = read_text(app.prefix() / "logs" / "check-on-start.log");
  INFO("check-on-start.log:\n" << log);
  CHECK(contains(log, server.url() + "metadata/timestamp.json: too slow: "));

  // The next automatic checks are held back (no request at all); a person's check is not.
  const int before = server.requests();
  r = run({app.launcher().string(), "--version"});
  CHECK(r.out == "mainapp 1.0.0\n");
  RunResult scheduled = check_now(app, "--scheduled");
  CHECK(scheduled.exit_code == 0);
  CHECK(contains(scheduled.out, "no scheduled check now: held back "));
  CHECK(server.requests() == before);

  for (Mode mode : {Mode::kStall, Mode::kSilent}) {
    server.set_mode(mode);
    t0 = steady_clock::now();
    RunResult manual = check_now(app);
    took = steady_clock::now() - t0;
    INFO("mode " << static_cast<int>(mode) << "\nstderr:\n" << manual.err);
    CHECK(manual.exit_code == 6);
    CHECK(contains(manual.err, server.url() + "metadata/timestamp.json: too slow: "));
    CHECK(took < seconds(30));
  }
  CHECK(server.requests() > before);

  // A successful check resets the backoff: the check on start runs again and applies 2.0.0.
  server.set_mode(Mode::kHonest);
  CHECK(check_now(app).exit_code == 0);
  r = run({app.launcher().string(), "--version"});
  CHECK(r.out == "mainapp 2.0.0\n");
}
