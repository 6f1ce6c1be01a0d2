// The launcher with real install roots: headless restart at exit,
// --upkeep-check-now, arguments and environment, repair, and failure exits.
#include <unistd.h>

#include "release_fixture.h"
#include "upkeep/install/state_store.h"

using namespace upkeep::test;

namespace {

// A release whose main program is a script that reports what the launcher gave it.
stdfs::path env_reporting_folder(VendorRepo& vendor, const std::string& version) {
  stdfs::path d = vendor.dir() / ("build-env-" + version);
  stdfs::create_directories(d);
  write_text(d / "mainapp",
             "#!/bin/sh\n"
             "echo \"version=$UPKEEP_VERSION root=$UPKEEP_ROOT launcher=$UPKEEP_LAUNCHER trial=${UPKEEP_TRIAL:-0} "
             "previous=${UPKEEP_PREVIOUS_VERSION:-none} custom=$CUSTOM_VAR\"\n"
             "echo \"args:$*\"\n"
             "exit ${EXIT_WITH:-0}\n");
  chmod((d / "mainapp").c_str(), 0755);
  return d;
}

}  // namespace

TEST_CASE("the launcher passes arguments and environment, and execs on the fast path", "[launcher][integration]") {
  VendorRepo vendor;
  vendor.release(env_reporting_folder(vendor, "1.0.0"), "1.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");

  RunResult r = run_ok({app.launcher().string(), "--flag", "two words"}, {{"CUSTOM_VAR", "kept"}});
  CHECK(contains(r.out, "version=1.0.0 root=" + app.prefix().string() + " launcher=" + app.launcher().string() +
                            " trial=0 previous=none custom=kept"));
  CHECK(contains(r.out, "args:--flag two words"));
  // Exit codes of the application come back through the launcher (exec on the fast path).
  CHECK(run({app.launcher().string()}, {{"EXIT_WITH", "7"}}).exit_code == 7);
}

TEST_CASE("headless mode stages without a prompt and restarts into the new version at exit",
          "[launcher][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("1.1.0"), "1.1.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");

  RunResult r = run({app.launcher().string(), "--headless", "--exit-after-check"});  // stdin closed
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "version 1.1.0 downloaded, verified and staged"));
  CHECK_FALSE(contains(r.out, "Restart to update?"));
  CHECK(contains(r.out, "mainapp 1.1.0 running"));
  CHECK(app.current() == "versions/1.1.0");
  CHECK(app.state_of("1.1.0") == "good");
}

TEST_CASE("launcher --upkeep-check-now downloads with progress, applies, and starts the new version in one launch",
          "[launcher][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");
  REQUIRE(stdfs::exists(app.prefix() / "upkeep-updater"));

  // Nothing newer: starts the installed version.
  // The check's lines go to stderr: the app's stdout stays its own.
  RunResult up = run_ok({app.launcher().string(), "--upkeep-check-now", "--version"});
  CHECK(up.out == "mainapp 1.0.0\n");
  CHECK(up.err == "checking for updates...\nup to date (1.0.0)\n");

  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  RunResult r = run_ok({app.launcher().string(), "--upkeep-check-now", "--version"});
  CHECK(contains(r.err, "found version 2.0.0"));
  CHECK(contains(r.err, "version 2.0.0 downloaded, verified and staged"));
  CHECK(r.out == "mainapp 2.0.0\n");
  CHECK(app.current() == "versions/2.0.0");
  CHECK(app.state_of("2.0.0") == "good");  // --version exited 0 on trial
}

TEST_CASE("a missing `current` is repaired from the newest good version, none at all is exit code 3",
          "[launcher][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");

  stdfs::remove(app.prefix() / "current");
  CHECK(run({app.launcher().string(), "--version"}).exit_code == 0);  // no marker, no link: slow path repairs
  // The fast path has no marker to go by; a broken link still leads to the slow path.
  CHECK(app.current() == "versions/1.0.0");

  stdfs::remove_all(app.prefix() / "versions" / "1.0.0");
  RunResult r = run({app.launcher().string(), "--version"});
  CHECK(r.exit_code == 3);
  CHECK(contains(r.err, "launcher: no runnable version in " + app.prefix().string()));
  // Printed once, as one line (and logged to the install's log, not echoed by the console sink).
  CHECK(r.err.find("no runnable version") == r.err.rfind("no runnable version"));
  CHECK(contains(read_text(app.prefix() / "logs" / "launcher.log"), "no runnable version in"));
}

TEST_CASE("launcher --upkeep-status prints versions and events, as text and JSON", "[launcher][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");

  RunResult text = run_ok({app.launcher().string(), "--upkeep-status"});
  CHECK(contains(text.out, "current:      1.0.0"));
  CHECK(contains(text.out, "1.0.0  good"));
  CHECK(contains(text.out, "installed"));
  auto json = app.status();
  CHECK(json.get_string("current") == "1.0.0");
  CHECK(json.get_bool("pending") == false);
  CHECK(json.get_array("staged").empty());
}

TEST_CASE("an installed version is never downgraded", "[launcher][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "2.0.0");
  RunResult r = run_ok({app.launcher().string(), "--exit-after-check"});
  CHECK(contains(r.out, "up to date (2.0.0)"));
  CHECK_FALSE(contains(r.out, "found version 1.0.0"));
  CHECK(app.current() == "versions/2.0.0");
}

TEST_CASE("launcher --upkeep-rollback goes back to the previous good version by hand", "[launcher][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");

  // Nothing earlier is kept after a fresh install.
  RunResult none = run({app.launcher().string(), "--upkeep-rollback"});
  CHECK(none.exit_code == 9);
  CHECK(contains(none.err, "no earlier version of 1.0.0"));

  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  run_ok({app.launcher().string(), "--upkeep-check-now", "--version"});
  REQUIRE(app.current() == "versions/2.0.0");

  CHECK(run_ok({app.launcher().string(), "--upkeep-rollback"}).out == "rolled back from 2.0.0 to 1.0.0\n");
  CHECK(app.current() == "versions/1.0.0");
  CHECK(app.state_of("2.0.0") == "bad");
  CHECK(run_ok({app.launcher().string(), "--version"}).out == "mainapp 1.0.0\n");
  // Not offered straight back.
  CHECK(contains(run_ok({app.launcher().string(), "--exit-after-check"}).out, "up to date (1.0.0)"));
}

TEST_CASE("a folder where the `current` link belongs: the launcher says so and starts the newest good version",
          "[launcher][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");
  stdfs::remove(app.prefix() / "current");
  write_text(app.prefix() / "current" / "stray.txt", "a folder copied over the link");  // rename(2) over it fails
  RunResult r = run({app.launcher().string(), "--version"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "mainapp 1.0.0\n");
  CHECK(contains(r.err, "could not point `current` at 1.0.0"));
}

TEST_CASE("a rollback that cannot switch `current` starts the version it goes back to, and the next start finishes it",
          "[launcher][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  run_ok({app.launcher().string(), "--upkeep-check-now", "--version"});
  REQUIRE(app.current() == "versions/2.0.0");
  // A rollback of 2.0.0 was journaled, and the link it must replace is now a folder.
  upkeep::StateStore(app.prefix() / "state.db").journal_begin(upkeep::JournalOp::kRollback, "2.0.0", "1.0.0");
  stdfs::remove(app.prefix() / "current");
  write_text(app.prefix() / "current" / "stray.txt", "x");

  RunResult r = run({app.launcher().string(), "--version"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "mainapp 1.0.0\n");
  CHECK(contains(r.err, "could not finish an interrupted update"));

  stdfs::remove_all(app.prefix() / "current");
  r = run({app.launcher().string(), "--version"});
  CHECK(r.out == "mainapp 1.0.0\n");
  CHECK(app.current() == "versions/1.0.0");
  CHECK(app.state_of("2.0.0") == "bad");
}
