// Fault injection at every named crash point (issue #4): the real programs
// are SIGKILLed at one step of staging, apply or rollback
// (UPKEEP_CRASH_AT), then the launcher starts again without the variable and
// the install root must satisfy the invariants of invariants.h, with the
// update (or the rollback) completed.
#include <algorithm>
#include <set>

#include "invariants.h"
#include "release_fixture.h"
#include "upkeep/platform/fault_injection.h"

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
  kUpdater,  // `launcher --upkeep-check-now`: upkeep-updater stages, then the launcher applies
  kMainapp,  // `launcher --exit-after-check`: mainapp stages in the background, the prompt restarts
};

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// The steps a crash run passed (UPKEEP_TRACE_STEPS), one per line.
std::vector<std::string> traced_steps(const stdfs::path& trace) {
  std::vector<std::string> steps;
  std::string text = stdfs::exists(trace) ? read_text(trace) : "";
  for (size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
    steps.push_back(text.substr(at, nl - at));
  return steps;
}

// Runs the launcher with UPKEEP_CRASH_AT=step and checks the step was reached.
RunResult crash_run(const Installed& app, const std::vector<std::string>& argv, const std::string& step,
                    const std::optional<std::string>& input = std::nullopt) {
  stdfs::path trace = app.dir / ("trace-" + step);
  RunResult r = run(argv, {{"UPKEEP_CRASH_AT", step}, {"UPKEEP_TRACE_STEPS", trace.string()}}, input);
  auto steps = traced_steps(trace);
  INFO("steps passed: " << joined(steps));
  CHECK(std::find(steps.begin(), steps.end(), step) != steps.end());
  return r;
}

// The package download of `version` in the updater's log: "N of L bytes over the network[ (resumed)]".
std::string download_log_line(const Installed& app, const std::string& version) {
  std::string log = read_text(app.prefix() / "logs" / "updater.log");
  std::string key = "downloaded " + version + ".package.zip: ";
  auto at = log.rfind(key);
  return at == std::string::npos ? "" : log.substr(at + key.size(), log.find('\n', at) - at - key.size());
}

// Staging, apply and trial: 1.0.0 installed, 2.0.0 on the server. The crash
// run stages and applies in one launch, dying at `step`.
void crash_during_update(Scenario& s, const std::string& step, Stager stager) {
  INFO("crash point: " << step
                       << (stager == Stager::kMainapp ? " (staged by mainapp)" : " (staged by upkeep-updater)"));
  Installed app(s.server->url, s.vendor.root_json(), "1.0.0");
  RunResult crashed = stager == Stager::kUpdater
                          ? crash_run(app, {app.launcher().string(), "--upkeep-check-now", "--version"}, step)
                          : crash_run(app, {app.launcher().string(), "--exit-after-check", "--ui", "terminal"}, step,
                                      std::string("y\n"));
  INFO("crash run (exit " << crashed.exit_code << ")\nstdout:\n" << crashed.out << "\nstderr:\n" << crashed.err);
  // Who died: a stage step kills the updater (the launcher goes on and says
  // so) or mainapp (which the launcher exec'd, so the whole launch dies). An
  // apply or trial step kills the launcher (the one we started, or the one
  // mainapp's restart started after mainapp exited 0), trial.confirmed the
  // new version on trial, whose exit status the launcher passes on.
  bool stage_step = starts_with(step, "stage.") || starts_with(step, "download.");
  if (stage_step && stager == Stager::kUpdater) {
    CHECK(contains(crashed.err, "the update check failed (exit 137)"));
    // Killed once the record was written, the updater still staged the update: the launcher applies it.
    CHECK(contains(crashed.out, step == "stage.recorded" ? "mainapp 2.0.0\n" : "mainapp 1.0.0\n"));
  } else if (!stage_step && stager == Stager::kMainapp) {
    CHECK(contains(crashed.out, "restarting to update to 2.0.0"));
    if (starts_with(step, "apply.")) CHECK_FALSE(contains(crashed.out, "mainapp 2.0.0 running"));
  } else {
    CHECK(crashed.exit_code == 128 + 9);
  }
  uint64_t part_bytes = 0;
  if (step == "download.half") {
    stdfs::path part = app.prefix() / "staging" / "2.0.0.package.zip.part";
    REQUIRE(stdfs::exists(part));
    part_bytes = stdfs::file_size(part);
    CHECK(part_bytes > 0);
  }

  // Start again without the variable: the update completes and 2.0.0 runs.
  RunResult again = run({app.launcher().string(), "--upkeep-check-now", "--version"});
  INFO("second run (exit " << again.exit_code << ")\nstdout:\n" << again.out << "\nstderr:\n" << again.err);
  CHECK(again.exit_code == 0);
  CHECK(contains(again.out, "mainapp 2.0.0\n"));
  if (step == "download.half") {
    // The resumed download fetched only what was missing.
    uint64_t length = stdfs::file_size(s.vendor.package_file("2.0.0"));
    CHECK(download_log_line(app, "2.0.0") ==
          std::to_string(length - part_bytes) + " of " + std::to_string(length) + " bytes over the network (resumed)");
  }

  RunResult version = run({app.launcher().string(), "--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out == "mainapp 2.0.0\n");

  auto problems = check_invariants(app.prefix(), {{"2.0.0"}, true, true});
  INFO("invariants violated:\n" << joined(problems));
  CHECK(problems.empty());
}

// Rollback: 2.0.0 installed, crashing 3.0.0 on the server. The crash run
// stages and applies 3.0.0, whose trial fails, and dies in the trial or the
// rollback.
void crash_during_rollback(Scenario& s, const std::string& step) {
  INFO("crash point: " << step);
  Installed app(s.server->url, s.vendor.root_json(), "2.0.0");
  RunResult crashed = crash_run(app, {app.launcher().string(), "--upkeep-check-now", "--version"}, step);
  INFO("crash run (exit " << crashed.exit_code << ")\nstdout:\n" << crashed.out << "\nstderr:\n" << crashed.err);
  CHECK(contains(crashed.out, "mainapp 3.0.0 crashing"));
  CHECK(crashed.exit_code == 128 + 9);

  // Start again (no check): the rollback is finished (or, killed on trial,
  // the trial is run again and fails) and 2.0.0 runs.
  RunResult again = run({app.launcher().string(), "--version"});
  INFO("second run (exit " << again.exit_code << ")\nstdout:\n" << again.out << "\nstderr:\n" << again.err);
  CHECK(again.exit_code == 0);
  CHECK(contains(again.out, "mainapp 2.0.0\n"));

  auto problems = check_invariants(app.prefix(), {{"2.0.0"}, true, true});
  INFO("invariants violated:\n" << joined(problems));
  CHECK(problems.empty());
  CHECK(app.state_of("3.0.0") == "bad");

  // The bad version is never applied again: a new check starts 2.0.0.
  RunResult checked = run({app.launcher().string(), "--upkeep-check-now", "--version"});
  INFO("check after rollback\nstdout:\n" << checked.out << "\nstderr:\n" << checked.err);
  CHECK(checked.exit_code == 0);
  CHECK_FALSE(contains(checked.out, "mainapp 3.0.0"));
  CHECK(contains(checked.out, "mainapp 2.0.0\n"));
}

// Every named crash point, by the scenario that reaches it.
const std::vector<std::string> kUpdateSteps = {
    "stage.manifest_fetched", "download.half",  "stage.downloaded", "stage.written", "stage.extracted",
    "stage.marked",           "stage.recorded", "apply.journaled",  "apply.moved",   "apply.switched",
    "apply.recorded",         "trial.spawned",  "trial.confirmed",  "trial.recorded"};
const std::vector<std::string> kRollbackSteps = {"trial.spawned", "rollback.journaled", "rollback.switched",
                                                 "rollback.recorded"};
const std::vector<std::string> kCleanupSteps = {"cleanup.removed"};
// Crashed at by the hooks test (tests/integration/hooks_test.cpp).
const std::vector<std::string> kHookSteps = {"hook.started"};
// Crashed at by the delta test (tests/integration/delta_update_test.cpp).
const std::vector<std::string> kDeltaSteps = {"delta.rebuilt"};

}  // namespace

TEST_CASE("every named crash point is exercised by a crash test", "[crash][integration]") {
  std::set<std::string> tested(kUpdateSteps.begin(), kUpdateSteps.end());
  tested.insert(kRollbackSteps.begin(), kRollbackSteps.end());
  tested.insert(kCleanupSteps.begin(), kCleanupSteps.end());
  tested.insert(kHookSteps.begin(), kHookSteps.end());
  tested.insert(kDeltaSteps.begin(), kDeltaSteps.end());
  std::set<std::string> named(std::begin(upkeep::kCrashPoints), std::end(upkeep::kCrashPoints));
  CHECK(tested == named);
}

TEST_CASE("a crash at any step of staging, apply or trial leaves an install the next start completes",
          "[crash][integration]") {
  Scenario s(false);
  for (const auto& step : kUpdateSteps) crash_during_update(s, step, Stager::kUpdater);
}

TEST_CASE("a crash while mainapp stages or its restart applies leaves an install the next start updates",
          "[crash][integration]") {
  Scenario s(false);
  for (const auto& step : kUpdateSteps) crash_during_update(s, step, Stager::kMainapp);
}

TEST_CASE("a crash at any step of a rollback leaves the previous version current and the broken one bad",
          "[crash][integration]") {
  Scenario s(true);
  for (const auto& step : kRollbackSteps) crash_during_rollback(s, step);
}

TEST_CASE("a crash while clean-up removes an old version leaves no record of a folder that is gone",
          "[crash][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");
  run_ok({app.launcher().string(), "--upkeep-check-now", "--version"});
  REQUIRE(app.current() == "versions/2.0.0");
  vendor.release(vendor.build_folder("3.0.0"), "3.0.0");

  // 3.0.0 confirms; clean-up then removes 1.0.0 (neither current nor its rollback target) and dies.
  RunResult crashed = crash_run(app, {app.launcher().string(), "--upkeep-check-now", "--version"}, "cleanup.removed");
  INFO("crash run\nstdout:\n" << crashed.out << "\nstderr:\n" << crashed.err);
  CHECK(crashed.exit_code == 128 + 9);
  CHECK_FALSE(stdfs::exists(app.prefix() / "versions" / "1.0.0"));

  RunResult again = run_ok({app.launcher().string(), "--version"});
  CHECK(again.out == "mainapp 3.0.0\n");
  auto problems = check_invariants(app.prefix(), {{"3.0.0"}, true, true});
  INFO("invariants violated:\n" << joined(problems));
  CHECK(problems.empty());
  CHECK(app.state_of("1.0.0") == "removed");
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
