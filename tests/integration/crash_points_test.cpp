// Fault injection at every named crash point (issue #4): the real programs
// are SIGKILLed at one step of staging, apply or rollback
// (UPKEEP_CRASH_AT), then the launcher starts again without the variable and
// the install root must satisfy the invariants of invariants.h, with the
// update (or the rollback) completed.
#include "invariants.h"
#include "release_fixture.h"

using namespace upkeep::test;

namespace {

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += "  " + l + "\n";
  return s;
}

// One vendor repository and one server shared by all steps of a group; each
// step gets its own install root.
struct Scenario {
  explicit Scenario(bool with_crashing_release) {
    vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
    vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
    if (with_crashing_release) vendor.release(vendor.crashing_build_folder("3.0.0"), "3.0.0");
    server = std::make_unique<RepoServerProcess>(vendor.repo());
  }
  VendorRepo vendor;
  std::unique_ptr<RepoServerProcess> server;
};

// Who stages in the crash run.
enum class Stager {
  kUpdater,  // `launcher --check-on-start`: upkeep-updater stages, then the launcher applies
  kMainapp,  // `launcher --exit-after-check`: mainapp stages in the background, the prompt restarts
};

// Staging and apply: 1.0.0 installed, 2.0.0 on the server. The crash run
// stages and applies in one launch, dying at `step`.
void crash_during_update(Scenario& s, const std::string& step, Stager stager) {
  INFO("crash point: " << step
                       << (stager == Stager::kMainapp ? " (staged by mainapp)" : " (staged by upkeep-updater)"));
  Installed app(s.server->url, s.vendor.root_json(), "1.0.0");
  RunResult crashed =
      stager == Stager::kUpdater
          ? run({app.launcher().string(), "--check-on-start", "--", "--version"}, {{"UPKEEP_CRASH_AT", step}})
          : run({app.launcher().string(), "--exit-after-check"}, {{"UPKEEP_CRASH_AT", step}}, std::string("y\n"));
  INFO("crash run (exit " << crashed.exit_code << ")\nstdout:\n" << crashed.out << "\nstderr:\n" << crashed.err);
  // The crash really happened. A stage step kills the updater (the launcher
  // goes on and says so) or mainapp (which the launcher exec'd, so the whole
  // launch dies). An apply step kills the launcher: the one we started, or
  // the one mainapp's restart started after mainapp exited 0.
  bool stage_step = step.rfind("stage.", 0) == 0;
  if (stage_step && stager == Stager::kUpdater) {
    CHECK(contains(crashed.err, "the update check failed (exit 137)"));
  } else if (!stage_step && stager == Stager::kMainapp) {
    CHECK(contains(crashed.out, "restarting to update to 2.0.0"));
    CHECK_FALSE(contains(crashed.out, "mainapp 2.0.0 running"));
  } else {
    CHECK(crashed.exit_code == 128 + 9);
  }

  // Start again without the variable: the update completes and 2.0.0 runs.
  RunResult again = run({app.launcher().string(), "--check-on-start", "--", "--version"});
  INFO("second run (exit " << again.exit_code << ")\nstdout:\n" << again.out << "\nstderr:\n" << again.err);
  CHECK(again.exit_code == 0);
  CHECK(contains(again.out, "mainapp 2.0.0\n"));

  RunResult version = run({app.launcher().string(), "--", "--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out == "mainapp 2.0.0\n");

  auto problems = check_invariants(app.prefix(), {{"2.0.0"}, true, true});
  INFO("invariants violated:\n" << joined(problems));
  CHECK(problems.empty());
}

// Rollback: 2.0.0 installed, crashing 3.0.0 on the server. The crash run
// stages and applies 3.0.0, whose trial fails, and dies in the rollback.
void crash_during_rollback(Scenario& s, const std::string& step) {
  INFO("crash point: " << step);
  Installed app(s.server->url, s.vendor.root_json(), "2.0.0");
  RunResult crashed =
      run({app.launcher().string(), "--check-on-start", "--", "--version"}, {{"UPKEEP_CRASH_AT", step}});
  INFO("crash run (exit " << crashed.exit_code << ")\nstdout:\n" << crashed.out << "\nstderr:\n" << crashed.err);
  CHECK(contains(crashed.out, "mainapp 3.0.0 crashing"));
  CHECK(crashed.exit_code == 128 + 9);

  // Start again (no check): the rollback is finished and 2.0.0 runs.
  RunResult again = run({app.launcher().string(), "--", "--version"});
  INFO("second run (exit " << again.exit_code << ")\nstdout:\n" << again.out << "\nstderr:\n" << again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.out == "mainapp 2.0.0\n");

  auto problems = check_invariants(app.prefix(), {{"2.0.0"}, true, true});
  INFO("invariants violated:\n" << joined(problems));
  CHECK(problems.empty());
  CHECK(app.state_of("3.0.0") == "bad");

  // The bad version is never applied again: a new check starts 2.0.0.
  RunResult checked = run({app.launcher().string(), "--check-on-start", "--", "--version"});
  INFO("check after rollback\nstdout:\n" << checked.out << "\nstderr:\n" << checked.err);
  CHECK(checked.exit_code == 0);
  CHECK_FALSE(contains(checked.out, "mainapp 3.0.0"));
  CHECK(contains(checked.out, "mainapp 2.0.0\n"));
}

// Every named crash point of staging (stager) and apply (launcher), in order.
const char* const kUpdateSteps[] = {"stage.manifest_fetched", "stage.downloaded", "stage.extracted",
                                    "stage.marked",           "stage.recorded",   "apply.journaled",
                                    "apply.moved",            "apply.switched",   "apply.recorded"};

}  // namespace

TEST_CASE("a crash at any step of staging or apply leaves an install the next start completes",
          "[crash][integration]") {
  Scenario s(false);
  for (const char* step : kUpdateSteps)
    crash_during_update(s, step, Stager::kUpdater);
}

TEST_CASE("a crash while mainapp stages or its restart applies leaves an install the next start updates",
          "[crash][integration]") {
  Scenario s(false);
  for (const char* step : kUpdateSteps)
    crash_during_update(s, step, Stager::kMainapp);
}

TEST_CASE("a crash at any step of a rollback leaves the previous version current and the broken one bad",
          "[crash][integration]") {
  Scenario s(true);
  for (const char* step : {"rollback.journaled", "rollback.switched", "rollback.recorded"})
    crash_during_rollback(s, step);
}

TEST_CASE("the invariant checker names a damaged file, a stray staging folder and a wrong current",
          "[crash][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");
  REQUIRE(check_invariants(app.prefix(), {{"1.0.0"}, true, true}).empty());

  write_text(app.prefix() / "versions" / "1.0.0" / "share" / "readme.txt", "changed after promotion\n");
  stdfs::create_directories(app.prefix() / "staging" / "9.9.9.tmp-extract");
  auto problems = check_invariants(app.prefix(), {{"2.0.0"}, true, true});
  INFO(joined(problems));
  REQUIRE(problems.size() == 3);
  CHECK(contains(problems[0], "current: points at 1.0.0, expected 2.0.0"));
  CHECK(contains(problems[1], "versions/1.0.0 does not match manifests/1.0.0.json"));
  CHECK(contains(problems[1], "share/readme.txt"));
  CHECK(contains(problems[2], "staging: leftover '9.9.9.tmp-extract'"));
}
