// Restart prompt escalation through the real programs: with restart_prompt
// "forced" and a staged version older than the deadline (its staging time
// set back in the real state.db), mainapp started by the launcher saves the
// user's work and restarts into the new version; a save that fails keeps it
// from restarting; "notify" tells and never restarts by itself.
#include <sqlite3.h>

#include "release_fixture.h"

using namespace upkeep::test;

namespace {

// Moves the staging time of `version` back by `hours` in the install's state.db.
void stage_earlier(const Installed& app, const std::string& version, int hours) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2((app.prefix() / "state.db").c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  std::string sql = "UPDATE versions SET updated_at = updated_at - " + std::to_string(hours * 3600) +
                    " WHERE version = '" + version + "' AND state = 2";
  CHECK(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  CHECK(sqlite3_changes(db) == 1);
  sqlite3_close(db);
}

// 1.0.0 installed, 2.0.0 staged two hours ago under a policy that forces the
// restart after an hour. download_only keeps the launcher from applying it
// at start, so the old version runs past its deadline (the case a deadline
// that holds across restarts is for).
struct StagedPastDeadline {
  explicit StagedPastDeadline(const stdfs::path& data_home) {
    w.vendor.release(w.vendor.build_folder("2.0.0"), "2.0.0");
    w.policy.write("10-forced.json",
                   R"({"update_mode": "download_only", "restart_prompt": "forced", "restart_deadline_hours": 1})");
    env = w.policy.env();
    env["XDG_DATA_HOME"] = data_home.string();
    run_ok({(w.app.prefix() / "upkeep-updater").string(), "--root", w.app.prefix().string()}, env);
    REQUIRE(w.app.state_of("2.0.0") == "staged");
    stage_earlier(w.app, "2.0.0", 2);
  }
  std::string required() const {
    return "(required by restart_prompt \"forced\", policy " + w.policy.file("10-forced.json") + ")";
  }
  InstalledWithPolicy w;
  std::map<std::string, std::string> env;
};

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("forced: past the deadline mainapp saves the user's work, then restarts into the new version",
          "[restart_prompt][policy][integration]") {
  TempDir data;
  StagedPastDeadline s(data.path());
  const std::string document = (data / "demo" / "document.txt").string();

  // stdin closed, as when started from a desktop shortcut: nobody answers, the deadline decides.
  RunResult r = run({s.w.app.launcher().string(), "--exit-after-check", "--note", "draft: quarterly report"}, s.env);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "mainapp 1.0.0 running"));
  CHECK(contains(r.out, "restarting now to apply 2.0.0: the deadline has passed " + s.required()));
  size_t saved = r.out.find("saved your work to " + document + "\n");
  size_t restarting = r.out.find("restarting to update to 2.0.0...");
  REQUIRE(saved != std::string::npos);
  REQUIRE(restarting != std::string::npos);
  CHECK(saved < restarting);
  CHECK(read_text(document) == "draft: quarterly report\n");

  // The launcher applied it (download_only allows that for a restart to update) and 2.0.0 opened the work.
  CHECK(contains(r.out, "mainapp 2.0.0 running"));
  CHECK(contains(r.out, "updated from 1.0.0 to 2.0.0: healthy start confirmed"));
  CHECK(contains(r.out, "your work: " + document + " (1 line)"));
  CHECK(count(r.out, "saved your work") == 1);  // the note went into the document, not to 2.0.0 again
  CHECK(s.w.app.current() == "versions/2.0.0");
  CHECK(s.w.app.state_of("2.0.0") == "good");
  CHECK(read_text(document) == "draft: quarterly report\n");
}

TEST_CASE("forced: when the work cannot be saved mainapp does not restart, and says so",
          "[restart_prompt][policy][integration]") {
  TempDir data;
  // XDG_DATA_HOME is a file: the document's folder cannot be made.
  stdfs::path not_a_folder = data / "data-home";
  write_text(not_a_folder, "a file\n");
  StagedPastDeadline s(not_a_folder);

  RunResult r = run({s.w.app.launcher().string(), "--exit-after-check", "--note", "unsaved line"}, s.env);
  INFO(r.out << r.err);
  CHECK(contains(r.out, "restarting now to apply 2.0.0: the deadline has passed " + s.required()));
  CHECK(contains(r.out, "could not save your work ("));
  CHECK(contains(r.out, not_a_folder.string()));
  CHECK(contains(r.out, "): not restarting; trying again in 5 minutes"));
  CHECK_FALSE(contains(r.out, "restarting to update"));
  CHECK_FALSE(contains(r.out, "mainapp 2.0.0 running"));
  // It quit after the check with the line unsaved: exit code 1 says the work was lost.
  CHECK(contains(r.out, "what was not saved is lost"));
  CHECK(r.exit_code == 1);
  CHECK(s.w.app.current() == "versions/1.0.0");
  CHECK(s.w.app.state_of("2.0.0") == "staged");
}

TEST_CASE("notify: mainapp says the update is ready and does not restart by itself, not even headless at exit",
          "[restart_prompt][policy][integration]") {
  InstalledWithPolicy w;
  w.vendor.release(w.vendor.build_folder("2.0.0"), "2.0.0");
  w.policy.write("10-notify.json", R"({"restart_prompt": "notify"})");
  TempDir data;
  auto env = w.policy.env();
  env["XDG_DATA_HOME"] = data.path().string();

  // With "ask" this command restarts into 2.0.0 at exit (launcher_test.cpp).
  RunResult r = run({w.app.launcher().string(), "--headless", "--exit-after-check", "--note", "kept"}, env);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "version 2.0.0 downloaded, verified and staged"));
  CHECK(contains(r.out, "update 2.0.0 ready: restart when convenient\n"));  // headless: no typing hint
  CHECK_FALSE(contains(r.out, "Restart to update?"));
  CHECK_FALSE(contains(r.out, "restarting"));
  CHECK_FALSE(contains(r.out, "mainapp 2.0.0 running"));
  CHECK(contains(r.out, "saved your work to " + (data / "demo" / "document.txt").string()));  // on quitting
  CHECK(read_text(data / "demo" / "document.txt") == "kept\n");
  CHECK(w.app.current() == "versions/1.0.0");
  CHECK(w.app.state_of("2.0.0") == "staged");
}
