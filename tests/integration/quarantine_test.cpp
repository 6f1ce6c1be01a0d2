// Quarantine with the real launcher, updater and mainapp: an update whose
// apply keeps failing, and a tampered package that fails every download
// check. Every launch still starts the installed version; after K failed
// tries the version is quarantined, the slow path stops retrying, it is not
// offered again, and a newer release still is.
#include "invariants.h"
#include "release_fixture.h"

using namespace upkeep::test;

TEST_CASE("an apply that keeps failing still starts the current version every launch, and the K-th quarantines it",
          "[quarantine][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");
  const std::string launcher = app.launcher().string();
  // Tests run as root, where permission bits stop no write: the immutable
  // attribute makes the apply's rename(2) into versions/ fail with EPERM.
  ImmutableDir frozen(app.prefix() / "versions");
  if (!frozen.active()) {
    WARN("cannot set the immutable attribute here (needs root and ext4/xfs/btrfs): skipped");
    return;
  }

  // Launch 1: the updater stages 2.0.0, its apply fails, 1.0.0 starts.
  RunResult r = run({launcher, "--upkeep-check-now", "--version"});
  INFO("launch 1\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.err, "version 2.0.0 downloaded, verified and staged"));
  CHECK(contains(r.out, "mainapp 1.0.0\n"));
  CHECK(contains(r.err, "update to 2.0.0 not applied"));
  CHECK(contains(r.err, "Operation not permitted (failed try 1 of 3)"));

  // Launches 2 and 3: the interrupted apply is retried, fails, and 1.0.0 starts.
  for (int i = 2; i <= 3; ++i) {
    r = run({launcher, "--version"});
    INFO("launch " << i << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "mainapp 1.0.0\n");
    CHECK(contains(r.err, "could not finish an interrupted update"));
    CHECK(contains(r.err, "failed try " + std::to_string(i) + " of 3"));
  }
  CHECK(contains(r.err, "2.0.0 is quarantined and will not be tried again"));

  auto status = app.status();
  CHECK(app.state_of("2.0.0") == "quarantined");
  REQUIRE(status.get_array("quarantined").size() == 1);
  CHECK(status.get_array("quarantined")[0].as_string() == "2.0.0");
  REQUIRE(status.get_array("failures").size() == 1);
  CHECK(status.get_array("failures")[0].get_int("count") == 3);
  CHECK(contains(status.get_array("failures")[0].get_string("last_error"), "Operation not permitted"));
  CHECK(app.has_event("quarantined", "2.0.0"));
  CHECK_FALSE(status.get_bool("pending"));
  RunResult text = run_ok({launcher, "--upkeep-status"});
  CHECK(contains(text.out, "2.0.0  quarantined  (3 failed tries; last error: "));
  CHECK(contains(text.out, "failed update tries:\n  2.0.0  3  (last: "));

  // The slow path stops retrying: no marker, the fast path starts 1.0.0 and says nothing.
  CHECK_FALSE(stdfs::exists(app.prefix() / ".pending"));
  CHECK_FALSE(stdfs::exists(app.prefix() / "staging" / "2.0.0"));
  r = run({launcher, "--version"});
  CHECK(r.out == "mainapp 1.0.0\n");
  CHECK(r.err.empty());
  // A check does not offer it again.
  r = run_ok({launcher, "--upkeep-check-now", "--version"});
  CHECK(contains(r.err, "up to date (1.0.0)"));
  CHECK_FALSE(contains(r.err, "found version 2.0.0"));
  CHECK(app.status().get_array("failures")[0].get_int("count") == 3);

  // A newer release is offered and applied once versions/ is writable again.
  frozen.release();
  vendor.release(vendor.build_folder("3.0.0"), "3.0.0");
  r = run_ok({launcher, "--upkeep-check-now", "--version"});
  CHECK(contains(r.out, "mainapp 3.0.0\n"));
  CHECK(app.state_of("3.0.0") == "good");
  CHECK(app.state_of("2.0.0") == "quarantined");
  auto problems = check_invariants(app.prefix(), {{"3.0.0"}, true, true});
  std::string listed;
  for (const auto& p : problems) listed += "  " + p + "\n";
  INFO("invariants violated:\n" << listed);
  CHECK(problems.empty());
}

TEST_CASE("a tampered package fails K checks, the console says it is quarantined, and it is not downloaded again",
          "[quarantine][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  auto pkg = vendor.package_file("2.0.0");
  std::string bytes = read_text(pkg);
  bytes[bytes.size() / 2] ^= 0x5a;
  write_text(pkg, bytes);
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");

  for (int i = 1; i <= 3; ++i) {
    RunResult r = run({app.launcher().string(), "--upkeep-check-now", "--version"});
    INFO("launch " << i << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.err, "found version 2.0.0"));
    CHECK(contains(r.err, "update failed"));
    CHECK(contains(r.err, "SHA-256"));
    CHECK(contains(r.err, "failed try " + std::to_string(i) + " of 3"));
    CHECK(contains(r.out, "mainapp 1.0.0\n"));
    CHECK(contains(r.err, "version 2.0.0 quarantined after 3 failed tries: it will not be offered again") == (i == 3));
  }
  CHECK(app.state_of("2.0.0") == "quarantined");
  RunResult r = run_ok({app.launcher().string(), "--upkeep-check-now", "--version"});
  CHECK(r.out == "mainapp 1.0.0\n");
  CHECK(r.err == "checking for updates...\nup to date (1.0.0)\n");
}
