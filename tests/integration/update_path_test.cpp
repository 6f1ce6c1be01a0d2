// The whole update path with real processes: publish, serve, install,
// launch, background update, restart prompt, tampered and crashing releases.
#include "release_fixture.h"

using namespace upkeep::test;

namespace {
// One background check of the installed app; the terminal face answers the
// restart prompt from standard input (not a terminal here).
std::vector<std::string> update_argv(const Installed& app, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{app.launcher().string(), "--exit-after-check", "--ui", "terminal"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}
}  // namespace

TEST_CASE("v1 finds v2 in the background, the prompt restarts into v2, tampered v3 refused, crashing v4 rolled back",
          "[e2e][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0", "Faster start-up");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");
  REQUIRE(app.current() == "versions/1.0.0");

  {
    // v1 runs, downloads and stages v2 while "working", asks, and restarts into v2.
    RunResult r = run(update_argv(app, {"--progress=always"}), {}, std::string("y\n"));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "mainapp 1.0.0 running"));
    CHECK(contains(r.out, "found version 2.0.0"));
    CHECK(contains(r.out, "Faster start-up"));
    CHECK(contains(r.err, "downloading 2.0.0 100% [####################] "));  // the bar, on stderr
    CHECK(contains(r.out, "version 2.0.0 downloaded, verified and staged"));
    CHECK(contains(r.out, "Version 2.0.0 is ready. Restart to update? [Y/n]"));
    CHECK(contains(r.out, "mainapp 2.0.0 running"));
    CHECK(contains(r.out, "updated from 1.0.0 to 2.0.0: healthy start confirmed"));
    CHECK(contains(r.out, "up to date (2.0.0)"));
  }
  REQUIRE(app.current() == "versions/2.0.0");
  CHECK(app.state_of("2.0.0") == "good");
  CHECK(app.state_of("1.0.0") == "good");  // kept for rollback
  CHECK_FALSE(stdfs::exists(app.prefix() / ".pending"));
  CHECK(run_ok({app.launcher().string(), "--version"}).out == "mainapp 2.0.0\n");

  // v3's package is tampered with on the server: refused, nothing staged, v2 keeps running.
  vendor.release(vendor.build_folder("3.0.0"), "3.0.0");
  {
    auto pkg = vendor.package_file("3.0.0");
    std::string bytes = read_text(pkg);
    bytes[bytes.size() / 2] ^= 0x5a;
    write_text(pkg, bytes);
    RunResult r = run(update_argv(app), {}, std::string("y\n"));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "mainapp 2.0.0 running"));
    CHECK(contains(r.out, "found version 3.0.0"));
    CHECK(contains(r.out, "update failed"));
    CHECK(contains(r.out, "SHA-256"));
    CHECK_FALSE(contains(r.out, "Restart to update"));
  }
  CHECK(app.current() == "versions/2.0.0");
  CHECK(app.state_of("3.0.0").empty());
  CHECK_FALSE(stdfs::exists(app.prefix() / "staging" / "3.0.0"));
  CHECK_FALSE(stdfs::exists(app.prefix() / "versions" / "3.0.0"));

  // v4 crashes at start: rolled back to v2 in the same launch, marked bad, never offered again.
  vendor.release(vendor.crashing_build_folder("4.0.0"), "4.0.0");
  {
    RunResult r = run(update_argv(app), {}, std::string("y\n"));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "version 4.0.0 downloaded, verified and staged"));
    CHECK(contains(r.out, "mainapp 4.0.0 crashing"));
    CHECK(contains(r.err, "version 4.0.0 failed on its first start (killed by signal 11"));
    CHECK(contains(r.err, "going back to 2.0.0"));
    // The same launch ends in v2, which checks again and is not offered v4.
    auto after_rollback = r.out.substr(r.out.find("mainapp 4.0.0 crashing"));
    CHECK(contains(after_rollback, "mainapp 2.0.0 running"));
    CHECK_FALSE(contains(after_rollback, "found version 4.0.0"));
  }
  CHECK(app.current() == "versions/2.0.0");
  CHECK(app.state_of("4.0.0") == "bad");
  CHECK_FALSE(stdfs::exists(app.prefix() / "versions" / "4.0.0"));
  CHECK(app.has_event("rolled_back", "4.0.0"));
  {
    RunResult r = run(update_argv(app), {}, std::string("y\n"));
    CHECK_FALSE(contains(r.out, "found version 4.0.0"));
    CHECK(contains(r.out, "mainapp 2.0.0 running"));
  }
}
