// Staged rollout through the real programs: `upkeep release --rollout`,
// `upkeep rollout`, mainapp's background checks, upkeep-updater with and
// without --check-now, mainapp --check-now and a critical release.
#include "upkeep/update/rollout.h"

#include "release_fixture.h"
#include "upkeep/install/state_store.h"

using namespace upkeep::test;

namespace {

// mainapp's background check through the launcher, answering the restart prompt on its terminal face.
RunResult background_check(const Installed& app, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{app.launcher().string(), "--exit-after-check", "--ui", "terminal"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  RunResult r = run(argv, {}, std::string("y\n"));
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  return r;
}

void set_bucket(const Installed& app, uint32_t bucket) {
  upkeep::StateStore(app.prefix() / "state.db").set_meta(upkeep::Rollout::kMetaKey, std::to_string(bucket));
}

}  // namespace

TEST_CASE("a staged rollout holds a release back from background checks until it is raised, not from manual checks",
          "[rollout][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");
  const std::string upkeep = program("upkeep").string();
  const std::vector<std::string> repo_args{"--keys", vendor.keys().string(), "--repo", vendor.repo().string()};

  // 2.0.0 at 0 %: no background check is offered it.
  RunResult published = run_ok(vendor.release_argv(vendor.build_folder("2.0.0"), "2.0.0", {"--rollout", "0"}));
  CHECK(contains(published.out, "rollout 0%"));
  {
    RunResult r = background_check(app);
    CHECK(contains(r.out, "up to date (1.0.0)"));
    CHECK_FALSE(contains(r.out, "found version 2.0.0"));
  }
  // The installation drew its bucket at that check and keeps it in state.db.
  auto bucket = upkeep::StateStore(app.prefix() / "state.db").meta(upkeep::Rollout::kMetaKey);
  REQUIRE(bucket);
  CHECK(std::stoul(*bucket) < upkeep::Rollout::kBucketCount);

  // Raised to 30 % with `upkeep rollout`: bucket 4000 is not among them yet; at 50 % it is.
  set_bucket(app, 4000);
  std::vector<std::string> rollout{upkeep, "rollout", "--version", "2.0.0", "--percent", "30", "--json"};
  rollout.insert(rollout.end(), repo_args.begin(), repo_args.end());
  RunResult raised = run_ok(rollout);
  auto j = upkeep::Json::parse(raised.out, "upkeep rollout --json");
  CHECK(j.get_int("previous_percent") == 0);
  CHECK(j.get_int("percent") == 30);
  CHECK(contains(background_check(app).out, "up to date (1.0.0)"));
  rollout[5] = "50";
  run_ok(rollout);
  {
    RunResult r = background_check(app);
    CHECK(contains(r.out, "found version 2.0.0"));
    CHECK(contains(r.out, "mainapp 2.0.0 running"));
  }
  REQUIRE(app.current() == "versions/2.0.0");

  // 3.0.0 at 0 %: the launcher's --upkeep-check-now (upkeep-updater, a background
  // check) is not offered it; upkeep-updater --check-now (a person asked) is.
  vendor.release(vendor.build_folder("3.0.0"), "3.0.0", "", {"--rollout", "0"});
  const std::string updater = (app.prefix() / "upkeep-updater").string();
  {
    RunResult r = run_ok({updater, "--root", app.prefix().string()});
    CHECK_FALSE(contains(r.out + r.err, "3.0.0"));
    CHECK(app.state_of("3.0.0").empty());
    r = run_ok({app.launcher().string(), "--upkeep-check-now", "--version"});
    CHECK(contains(r.out, "mainapp 2.0.0\n"));
    CHECK_FALSE(contains(r.out + r.err, "3.0.0"));
  }
  {
    RunResult r = run_ok({updater, "--root", app.prefix().string(), "--check-now"});
    CHECK(contains(r.out + r.err, "version 3.0.0 downloaded, verified and staged"));
    CHECK(app.state_of("3.0.0") == "staged");
    CHECK(contains(run_ok({app.launcher().string(), "--version"}).out, "mainapp 3.0.0\n"));
  }

  // A critical release at 0 % is offered to everyone, by a background check too.
  vendor.release(vendor.build_folder("4.0.0"), "4.0.0", "", {"--rollout", "0", "--critical"});
  {
    RunResult r = background_check(app);
    CHECK(contains(r.out, "found version 4.0.0"));
    CHECK(contains(r.out, "mainapp 4.0.0 running"));
  }
  REQUIRE(app.current() == "versions/4.0.0");

  // mainapp --check-now: its first check is manual and ignores the rollout.
  vendor.release(vendor.build_folder("5.0.0"), "5.0.0", "", {"--rollout", "0"});
  CHECK(contains(background_check(app).out, "up to date (4.0.0)"));
  {
    RunResult r = background_check(app, {"--check-now"});
    CHECK(contains(r.out, "found version 5.0.0"));
    CHECK(contains(r.out, "mainapp 5.0.0 running"));
  }
  CHECK(app.current() == "versions/5.0.0");
}

TEST_CASE("upkeep rollout refuses an unknown version and a bad percentage", "[rollout][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  const std::string upkeep = program("upkeep").string();
  const std::string keys = vendor.keys().string(), repo = vendor.repo().string();
  RunResult r = run({upkeep, "rollout", "--version", "9.0.0", "--percent", "10", "--keys", keys, "--repo", repo});
  CHECK(r.exit_code == 9);
  CHECK(contains(r.err, "version 9.0.0 of demo"));
  r = run({upkeep, "rollout", "--version", "1.0.0", "--percent", "101", "--keys", keys, "--repo", repo});
  CHECK(r.exit_code == 2);
  r = run({upkeep, "release", vendor.build_folder("1.1.0").string(), "--version", "1.1.0", "--rollout", "-1", "--keys",
           keys, "--repo", repo});
  CHECK(r.exit_code == 2);
}
