// Quarantine with the real launcher, updater, mainapp and `upkeep
// quarantine`: only evidence against a release counts as a failed try (a
// signed package that does not extract); a local fault while applying (a
// staging folder on another file system: EXDEV; a versions/ folder that
// refuses renames: EPERM) is retried at every start and never counted. After
// K failed tries the version is quarantined and not offered again, a newer
// release still is, and an administrator can clear the quarantine.
#include "invariants.h"
#include "release_fixture.h"
#include "upkeep/base/hash.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/publish/repository_publisher.h"
#include "upkeep/repository/repository_layout.h"

using namespace upkeep::test;

namespace {

// Publishes `version`'s package anew as its first half, signed: a release
// whose verified package does not extract (evidence against the release).
void publish_truncated_package(const VendorRepo& vendor, const std::string& version) {
  std::string bytes = read_text(vendor.package_file(version));
  bytes.resize(bytes.size() / 2);
  const std::string sha = upkeep::sha256_hex(bytes);
  upkeep::publish::KeyStore keys = upkeep::publish::KeyStore::open(vendor.keys());
  upkeep::publish::RepositoryPublisher publisher(vendor.repo(), keys);
  upkeep::tuf::TargetsMetadata targets = publisher.current_targets();
  int changed = 0;
  for (auto& [path, target] : targets.targets) {
    if (!contains(path, "/" + version + "/") || !path.ends_with("/package.zip")) continue;
    target.length = bytes.size();
    target.hashes = {{"sha256", sha}};
    write_text(vendor.repo() / "targets" / upkeep::RepositoryLayout::consistent_name(path, sha), bytes);
    ++changed;
  }
  REQUIRE(changed == 1);
  publisher.commit_targets(targets);
}

RunResult quarantine(const Installed& app, const std::vector<std::string>& args) {
  std::vector<std::string> argv{program("upkeep").string(), "quarantine", "--prefix", app.prefix().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

}  // namespace

TEST_CASE("an apply that fails on a local fault (EXDEV, EPERM) still starts the current version and is never counted",
          "[quarantine][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");
  const std::string launcher = app.launcher().string();

  {
    // staging/ on a file system of its own: the apply's rename(2) into versions/ fails with EXDEV.
    SmallTmpfs other_fs(app.prefix() / "staging", "64m");
    if (!other_fs.mounted()) {
      WARN("cannot mount a tmpfs here (" << other_fs.error() << "): skipped");
      return;
    }
    for (int i = 1; i <= 4; ++i) {
      RunResult r = run({launcher, "--upkeep-check-now", "--version"});
      INFO("launch " << i << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
      CHECK(r.exit_code == 0);
      CHECK(contains(r.out, "mainapp 1.0.0\n"));
      CHECK(contains(r.err, "Invalid cross-device link"));
      CHECK_FALSE(contains(r.err, "failed try"));
    }
    CHECK(app.status().get_array("failures").empty());
    CHECK(app.state_of("2.0.0") != "quarantined");
  }
  {
    // Tests run as root, where permission bits stop no write: the immutable
    // attribute makes the rename(2) into versions/ fail with EPERM.
    ImmutableDir frozen(app.prefix() / "versions");
    if (frozen.active()) {
      for (int i = 1; i <= 4; ++i) {
        RunResult r = run({launcher, "--upkeep-check-now", "--version"});
        INFO("launch " << i << "\nstderr:\n" << r.err);
        CHECK(contains(r.out, "mainapp 1.0.0\n"));
        // (Launch 1 first abandons the apply whose staged files left with the tmpfs, then stages again.)
        if (i > 1) CHECK(contains(r.err, "Operation not permitted"));
        CHECK_FALSE(contains(r.err, "failed try"));
      }
      CHECK(app.status().get_array("failures").empty());
    } else {
      WARN("cannot set the immutable attribute here (needs root and ext4/xfs/btrfs): EPERM part skipped");
    }
  }
  // The fault gone, the next start applies 2.0.0.
  RunResult r = run({launcher, "--upkeep-check-now", "--version"});
  INFO("stderr:\n" << r.err);
  CHECK(contains(r.out, "mainapp 2.0.0\n"));
  CHECK(app.state_of("2.0.0") == "good");
  auto problems = check_invariants(app.prefix(), {{"2.0.0"}, true, true});
  std::string listed;
  for (const auto& p : problems) listed += "  " + p + "\n";
  INFO("invariants violated:\n" << listed);
  CHECK(problems.empty());
}

TEST_CASE(
    "a signed package that does not extract is quarantined after K tries, a clear offers it again, and a newer "
    "release gets its own chance",
    "[quarantine][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  publish_truncated_package(vendor, "2.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");

  for (int i = 1; i <= 3; ++i) {
    RunResult r = run({app.launcher().string(), "--upkeep-check-now", "--version"});
    INFO("launch " << i << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.err, "found version 2.0.0"));
    CHECK(contains(r.err, "update failed"));
    CHECK(contains(r.err, "failed try " + std::to_string(i) + " of 3"));
    CHECK(contains(r.out, "mainapp 1.0.0\n"));
    CHECK(contains(r.err, "version 2.0.0 quarantined after 3 failed tries: it will not be offered again") == (i == 3));
  }
  CHECK(app.state_of("2.0.0") == "quarantined");
  RunResult r = run_ok({app.launcher().string(), "--upkeep-check-now", "--version"});
  CHECK(r.out == "mainapp 1.0.0\n");
  CHECK(r.err == "checking for updates...\nup to date (1.0.0)\n");

  // The administrator's view, and usage errors.
  RunResult listed = quarantine(app, {"--json"});
  INFO(listed.err);
  REQUIRE(listed.exit_code == 0);
  upkeep::Json j = upkeep::Json::parse(listed.out, "quarantine --json");
  REQUIRE(j.get_array("quarantined").size() == 1);
  CHECK(j.get_array("quarantined")[0].get_string("version") == "2.0.0");
  CHECK(j.get_array("quarantined")[0].get_int("failures") == 3);
  CHECK(contains(quarantine(app, {}).out, "2.0.0  quarantined  (3 failed tries; last error: "));
  CHECK(quarantine(app, {"clear"}).exit_code == 2);
  CHECK(quarantine(app, {"frobnicate"}).exit_code == 2);
  RunResult not_there = quarantine(app, {"clear", "1.0.0", "--json"});
  CHECK(not_there.exit_code == 9);
  CHECK(contains(upkeep::Json::parse(not_there.out, "clear --json").at("error").get_string("message"),
                 "not quarantined"));
  CHECK(contains(quarantine(app, {"--help"}).out, "usage: upkeep quarantine"));

  // Cleared: offered again, counted from 0, and the event recorded.
  RunResult cleared = quarantine(app, {"clear", "2.0.0"});
  INFO(cleared.err);
  CHECK(cleared.exit_code == 0);
  CHECK(contains(cleared.out, "quarantine of 2.0.0 cleared"));
  CHECK(app.has_event("quarantine_cleared", "2.0.0"));
  CHECK(app.status().get_array("failures").empty());
  r = run({app.launcher().string(), "--upkeep-check-now", "--version"});
  INFO(r.err);
  CHECK(contains(r.err, "found version 2.0.0"));
  CHECK(contains(r.err, "failed try 1 of 3"));

  // A newer release always gets its own chance: 2.0.1 is staged and applied.
  vendor.release(vendor.build_folder("2.0.1"), "2.0.1");
  r = run({app.launcher().string(), "--upkeep-check-now", "--version"});
  INFO(r.err);
  CHECK(contains(r.out, "mainapp 2.0.1\n"));
  CHECK(app.state_of("2.0.1") == "good");
}
