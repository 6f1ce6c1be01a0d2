#include "upkeep/install/state_store.h"

#include <grp.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <functional>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/base/error.h"

using upkeep::Error;
using upkeep::ErrorCode;
using upkeep::HookKind;
using upkeep::HookRun;
using upkeep::HookRunState;
using upkeep::JournalOp;
using upkeep::StateStore;
using upkeep::VersionState;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;

using upkeep::test::error_of;

namespace {

// A plain SQLite connection of our own, to look at the file from outside the store.
class RawDb {
 public:
  explicit RawDb(const stdfs::path& file) {
    REQUIRE(sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    sqlite3_busy_timeout(db_, 10000);
  }
  ~RawDb() { sqlite3_close(db_); }
  // The first column of the first row of `sql`, as text ("" when no row).
  std::string scalar(const std::string& sql) const { return query_one(db_, sql); }
  void exec(const std::string& sql) const {
    REQUIRE(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  }

  static std::string query_one(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

// Captures the connection of the next database opened in this process, so a
// test can ask the store's own connection for its per-connection settings.
// It also starts the connection at synchronous=OFF: Debian's SQLite already
// defaults to FULL, and the test must fail if the store did not set it.
sqlite3* g_captured = nullptr;
int capture_connection(sqlite3* db, const char**, const struct sqlite3_api_routines*) {
  g_captured = db;
  sqlite3_exec(db, "PRAGMA synchronous=OFF", nullptr, nullptr, nullptr);
  return SQLITE_OK;
}
using AutoExt = void (*)();

}  // namespace

TEST_CASE("a new state database has the schema, WAL mode and synchronous=FULL", "[state_store]") {
  TempDir dir;
  auto file = dir / "state.db";
  g_captured = nullptr;
  REQUIRE(sqlite3_auto_extension(reinterpret_cast<AutoExt>(capture_connection)) == SQLITE_OK);
  StateStore store(file);
  sqlite3_cancel_auto_extension(reinterpret_cast<AutoExt>(capture_connection));
  REQUIRE(g_captured != nullptr);
  // synchronous is per connection: ask the store's own connection (FULL = 2).
  CHECK(RawDb::query_one(g_captured, "PRAGMA synchronous") == "2");
  CHECK(RawDb::query_one(g_captured, "PRAGMA journal_mode") == "wal");

  RawDb raw(file);
  CHECK(raw.scalar("PRAGMA journal_mode") == "wal");  // persistent in the file
  for (const char* table : {"meta", "versions", "journal", "events", "failures", "hook_runs"})
    CHECK(raw.scalar(std::string("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='") + table + "'") ==
          "1");
  CHECK(raw.scalar("SELECT value FROM meta WHERE key='schema_version'") == "2");
  CHECK(store.meta("schema_version") == std::optional<std::string>("2"));
  CHECK(store.integrity_check() == "ok");
  CHECK(store.all().empty());
  CHECK_FALSE(store.journal().has_value());
  CHECK_FALSE(store.has_pending_work());
}

TEST_CASE("version states move staged -> trial -> good / bad -> removed, stored as explicit numbers", "[state_store]") {
  TempDir dir;
  auto file = dir / "state.db";
  StateStore store(file);
  RawDb raw(file);
  auto stored = [&](const std::string& v) {
    return raw.scalar("SELECT state FROM versions WHERE version='" + v + "'");
  };

  store.record_installed("1.0.0", "aa");
  CHECK(stored("1.0.0") == "4");
  store.record_staged("2.0.0", "bb", "listing");
  CHECK(stored("2.0.0") == "2");
  auto r = store.get("2.0.0");
  REQUIRE(r.has_value());
  CHECK(r->state == VersionState::kStaged);
  CHECK(r->manifest_sha256 == "bb");
  CHECK(r->updated_at > 0);
  CHECK(store.has_pending_work());

  store.begin_trial("2.0.0", "1.0.0");
  CHECK(stored("2.0.0") == "3");
  r = store.get("2.0.0");
  CHECK(r->state == VersionState::kTrial);
  CHECK(r->previous == "1.0.0");
  CHECK(r->attempts == 0);
  CHECK(store.has_pending_work());

  store.set_state("2.0.0", VersionState::kGood);
  CHECK(stored("2.0.0") == "4");
  CHECK_FALSE(store.has_pending_work());

  store.set_state("1.0.0", VersionState::kBad, "crashed at start");
  CHECK(stored("1.0.0") == "5");
  CHECK(store.get("1.0.0")->state == VersionState::kBad);
  CHECK(store.get("1.0.0")->reason == "crashed at start");
  CHECK(store.get("2.0.0")->state != VersionState::kBad);
  CHECK_FALSE(store.get("7.7.7").has_value());

  store.set_state("1.0.0", VersionState::kRemoved);
  CHECK(stored("1.0.0") == "6");
  CHECK(store.get("1.0.0")->reason.empty());

  CHECK(store.in_state(VersionState::kGood).size() == 1);
  CHECK(store.in_state(VersionState::kGood)[0].version == "2.0.0");
  CHECK(store.in_state(VersionState::kRemoved)[0].version == "1.0.0");
  CHECK(store.all().size() == 2);
  CHECK(std::string(upkeep::version_state_name(VersionState::kTrial)) == "trial");
  CHECK(std::string(upkeep::version_state_name(VersionState::kRemoved)) == "removed");
}

TEST_CASE("re-staging a version resets its state, hash and reason", "[state_store]") {
  TempDir dir;
  StateStore store(dir / "state.db");
  store.record_staged("2.0.0", "old", "listing");
  store.set_state("2.0.0", VersionState::kRemoved, "discarded");
  store.record_staged("2.0.0", "new", "listing");
  auto r = store.get("2.0.0");
  CHECK(r->state == VersionState::kStaged);
  CHECK(r->manifest_sha256 == "new");
  CHECK(r->reason.empty());
  CHECK(store.all().size() == 1);
}

TEST_CASE("failed tries are counted per version, listed, and cleared", "[state_store]") {
  TempDir dir;
  auto file = dir / "state.db";
  StateStore store(file);
  CHECK(store.failure_count("2.0.0") == 0);
  CHECK(store.record_failure("2.0.0", "SHA-256 mismatch") == 1);
  CHECK(store.record_failure("3.0.0", "bad zip") == 1);
  CHECK(store.record_failure("2.0.0", "rename failed") == 2);
  CHECK(store.failure_count("2.0.0") == 2);
  RawDb raw(file);
  CHECK(raw.scalar("SELECT count FROM failures WHERE version='2.0.0'") == "2");
  CHECK(raw.scalar("SELECT last_error FROM failures WHERE version='2.0.0'") == "rename failed");
  auto all = store.failures();
  REQUIRE(all.size() == 2);
  for (const auto& f : all) {
    CHECK(f.updated_at > 0);
    if (f.version == "2.0.0") CHECK((f.count == 2 && f.last_error == "rename failed"));
  }
  // Counting is not a version state: nothing becomes pending work.
  CHECK(store.all().empty());
  CHECK_FALSE(store.has_pending_work());

  store.clear_failures("2.0.0");
  CHECK(store.failure_count("2.0.0") == 0);
  CHECK(store.failure_count("3.0.0") == 1);
  store.clear_failures("9.9.9");                       // nothing to clear: fine
  CHECK(store.record_failure("2.0.0", "again") == 1);  // counting starts afresh
}

TEST_CASE("a quarantined version is stored as 7, created when unknown, with an event", "[state_store]") {
  TempDir dir;
  auto file = dir / "state.db";
  StateStore store(file);
  RawDb raw(file);
  // Never staged (its download failed): the row is created.
  store.record_quarantined("2.0.0", "3 failed tries; last error: bad zip");
  CHECK(raw.scalar("SELECT state FROM versions WHERE version='2.0.0'") == "7");
  auto r = store.get("2.0.0");
  REQUIRE(r.has_value());
  CHECK(r->state == VersionState::kQuarantined);
  CHECK(r->reason == "3 failed tries; last error: bad zip");
  CHECK(store.events(1)[0].kind == "quarantined");
  CHECK(store.events(1)[0].version == "2.0.0");
  CHECK_THAT(store.events(1)[0].detail, Catch::Contains("bad zip"));
  // A staged one: its row is updated, and it is no longer work for the launcher.
  store.record_staged("3.0.0", "x", "listing");
  REQUIRE(store.has_pending_work());
  store.record_quarantined("3.0.0", "check failed");
  CHECK(store.get("3.0.0")->state == VersionState::kQuarantined);
  CHECK(store.get("3.0.0")->manifest_sha256 == "x");
  CHECK_FALSE(store.has_pending_work());
  CHECK(store.in_state(VersionState::kQuarantined).size() == 2);
  CHECK(store.get("2.0.0")->state != VersionState::kBad);  // a state of its own
  CHECK(std::string(upkeep::version_state_name(VersionState::kQuarantined)) == "quarantined");
}

TEST_CASE("changes to an unknown version are kNotFound", "[state_store]") {
  TempDir dir;
  StateStore store(dir / "state.db");
  CHECK_THAT(error_of([&] { store.set_state("3.0.0", VersionState::kGood); }, ErrorCode::kNotFound),
             Catch::Contains("3.0.0"));
  error_of([&] { store.begin_trial("3.0.0", "1.0.0"); }, ErrorCode::kNotFound);
  error_of([&] { store.add_trial_attempt("3.0.0"); }, ErrorCode::kNotFound);
  CHECK(store.all().empty());
}

TEST_CASE("begin_trial resets the attempt count and add_trial_attempt counts", "[state_store]") {
  TempDir dir;
  StateStore store(dir / "state.db");
  store.record_staged("2.0.0", "x", "listing");
  store.begin_trial("2.0.0", "1.0.0");
  CHECK(store.add_trial_attempt("2.0.0") == 1);
  CHECK(store.add_trial_attempt("2.0.0") == 2);
  CHECK(store.add_trial_attempt("2.0.0") == 3);
  CHECK(store.get("2.0.0")->attempts == 3);
  store.begin_trial("2.0.0", "1.5.0");
  CHECK(store.get("2.0.0")->attempts == 0);
  CHECK(store.get("2.0.0")->previous == "1.5.0");
  CHECK(store.add_trial_attempt("2.0.0") == 1);
}

TEST_CASE("the journal holds one operation, finishing it applies `then` atomically", "[state_store]") {
  TempDir dir;
  StateStore store(dir / "state.db");
  store.record_staged("2.0.0", "x", "listing");
  store.set_state("2.0.0", VersionState::kGood);
  CHECK_FALSE(store.has_pending_work());

  store.journal_begin(JournalOp::kApply, "2.0.0", "1.0.0");
  auto j = store.journal();
  REQUIRE(j.has_value());
  CHECK(j->op == JournalOp::kApply);
  CHECK(j->version == "2.0.0");
  CHECK(j->from_version == "1.0.0");
  CHECK(j->started_at > 0);
  CHECK(store.has_pending_work());

  store.journal_begin(JournalOp::kRollback, "2.0.0", "1.0.0");  // replaces, never two rows
  CHECK(store.journal()->op == JournalOp::kRollback);

  SECTION("a throwing `then` leaves the journal row and undoes its own writes") {
    CHECK_THROWS_AS(store.journal_finish([&] {
      store.set_state("2.0.0", VersionState::kBad, "x");
      store.add_event("half", "2.0.0", "");
      throw Error(ErrorCode::kFailure, "boom");
    }),
                    Error);
    REQUIRE(store.journal().has_value());
    CHECK(store.journal()->version == "2.0.0");
    CHECK(store.get("2.0.0")->state == VersionState::kGood);
    for (const auto& e : store.events(100)) CHECK(e.kind != "half");
    // The store is usable after the rollback.
    store.set_meta("k", "v");
    CHECK(store.meta("k") == std::optional<std::string>("v"));
  }
  SECTION("a successful `then` commits with the journal's removal") {
    store.journal_finish([&] { store.set_state("2.0.0", VersionState::kBad, "rolled back"); });
    CHECK_FALSE(store.journal().has_value());
    CHECK(store.get("2.0.0")->state == VersionState::kBad);
    CHECK_FALSE(store.has_pending_work());
  }
}

TEST_CASE("a failed transaction changes nothing", "[state_store]") {
  TempDir dir;
  StateStore store(dir / "state.db");
  CHECK_THROWS(store.transaction([&] {
    store.record_staged("2.0.0", "x", "listing");
    store.set_meta("a", "b");
    throw std::runtime_error("boom");
  }));
  CHECK_FALSE(store.get("2.0.0").has_value());
  CHECK_FALSE(store.meta("a").has_value());
  CHECK(store.events(10).empty());
}

TEST_CASE("events come newest first and respect the limit", "[state_store]") {
  TempDir dir;
  StateStore store(dir / "state.db");
  for (int i = 0; i < 5; ++i)
    store.add_event("kind" + std::to_string(i), "1." + std::to_string(i), "d" + std::to_string(i));
  auto all = store.events(100);
  REQUIRE(all.size() == 5);
  CHECK(all[0].kind == "kind4");
  CHECK(all[4].kind == "kind0");
  CHECK(all[0].version == "1.4");
  CHECK(all[0].detail == "d4");
  CHECK(all[0].id > all[1].id);
  CHECK(all[0].at > 0);
  auto two = store.events(2);
  REQUIRE(two.size() == 2);
  CHECK(two[0].kind == "kind4");
  CHECK(two[1].kind == "kind3");
  // record_staged logs its own event.
  store.record_staged("2.0.0", "x", "listing");
  CHECK(store.events(1)[0].kind == "staged");
  CHECK(store.events(1)[0].version == "2.0.0");
}

TEST_CASE("meta values are stored and replaced", "[state_store]") {
  TempDir dir;
  StateStore store(dir / "state.db");
  CHECK_FALSE(store.meta("last_check").has_value());
  store.set_meta("last_check", "100");
  store.set_meta("last_check", "200");
  CHECK(store.meta("last_check") == std::optional<std::string>("200"));
}

TEST_CASE("two stores on one file see each other's writes", "[state_store]") {
  TempDir dir;
  StateStore a(dir / "state.db");
  StateStore b(dir / "state.db");
  a.record_staged("2.0.0", "x", "listing");
  REQUIRE(b.get("2.0.0").has_value());
  b.begin_trial("2.0.0", "1.0.0");
  CHECK(a.get("2.0.0")->state == VersionState::kTrial);
  b.journal_begin(JournalOp::kApply, "3.0.0", "2.0.0");
  CHECK(a.journal()->version == "3.0.0");
  a.set_meta("k", "from a");
  CHECK(b.meta("k") == std::optional<std::string>("from a"));
  CHECK(b.events(10).size() == a.events(10).size());
}

TEST_CASE("read-only mode reads but never writes", "[state_store]") {
  TempDir dir;
  auto file = dir / "state.db";
  {
    StateStore rw(file);
    rw.record_staged("2.0.0", "x", "listing");
  }
  StateStore ro(file, StateStore::Mode::kReadOnly);
  CHECK(ro.get("2.0.0")->state == VersionState::kStaged);
  CHECK(ro.has_pending_work());
  CHECK(ro.integrity_check() == "ok");
  CHECK_THROWS_AS(ro.set_state("2.0.0", VersionState::kGood), Error);
  CHECK_THROWS_AS(ro.set_meta("k", "v"), Error);
  CHECK(ro.get("2.0.0")->state == VersionState::kStaged);
  StateStore rw(file);
  CHECK_FALSE(rw.meta("k").has_value());
}

namespace {

// Runs `body` in a child process as the unprivileged user 65534 (nobody);
// its result is the child's exit code. -1 when this process cannot switch users.
int as_nobody(const std::function<int()>& body) {
  if (::geteuid() != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 99;
    if (::setgroups(0, nullptr) == 0 && ::setresgid(65534, 65534, 65534) == 0 &&
        ::setresuid(65534, 65534, 65534) == 0) {
      try {
        rc = body();
      } catch (...) {
        rc = 98;
      }
    }
    ::_exit(rc);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 97;
}

}  // namespace

TEST_CASE("read-only mode reads a WAL database in a folder this user cannot write, writer or not", "[state_store]") {
  TempDir dir;
  // A per-machine root: made by root, 0755 folders and 0644 files; a name with URI characters.
  auto folder = dir / "opt%2Fapp?x#y";
  stdfs::create_directories(folder);
  stdfs::permissions(dir.path(), stdfs::perms::owner_all | stdfs::perms::group_read | stdfs::perms::group_exec |
                                     stdfs::perms::others_read | stdfs::perms::others_exec);
  auto file = folder / "state.db";
  { StateStore(file).record_staged("2.0.0", "x", "listing"); }  // closed: no -wal or -shm file is left
  REQUIRE_FALSE(stdfs::exists(folder / "state.db-shm"));
  auto reads = [&](const std::string& version) {
    return [&file, version] {
      StateStore ro(file, StateStore::Mode::kReadOnly);
      return ro.get(version) ? 0 : 1;
    };
  };
  int rc = as_nobody(reads("2.0.0"));
  if (rc == -1) {
    WARN("not root: cannot run as another user");
    return;
  }
  CHECK(rc == 0);
  // While a writer holds it open, what it committed is in the WAL only: the reader sees it too.
  StateStore writer(file);
  writer.record_staged("3.0.0", "y", "listing");
  REQUIRE(stdfs::exists(folder / "state.db-wal"));
  CHECK(as_nobody(reads("3.0.0")) == 0);
  CHECK(as_nobody(reads("2.0.0")) == 0);
}

TEST_CASE("read-only mode does not create a missing database", "[state_store]") {
  TempDir dir;
  auto msg = error_of([&] { StateStore ro(dir / "state.db", StateStore::Mode::kReadOnly); }, ErrorCode::kNotFound);
  CHECK_THAT(msg, Catch::Contains((dir / "state.db").string()));
  CHECK_FALSE(stdfs::exists(dir / "state.db"));
}

TEST_CASE("a file that is not SQLite is kBadInput naming the file", "[state_store]") {
  TempDir dir;
  auto file = dir / "state.db";
  write_text(file, std::string(4096, 'x') + " this is not a database\n");
  auto msg = error_of([&] { StateStore s(file); }, ErrorCode::kBadInput);
  CHECK_THAT(msg, Catch::Contains(file.string()));
  msg = error_of([&] { StateStore s(file, StateStore::Mode::kReadOnly); }, ErrorCode::kBadInput);
  CHECK_THAT(msg, Catch::Contains(file.string()));
  CHECK(upkeep::test::read_text(file).size() == 4096 + 24);  // untouched
}

TEST_CASE("a database written by a newer upkeep is refused", "[state_store]") {
  TempDir dir;
  auto file = dir / "state.db";
  { StateStore s(file); }
  {
    RawDb raw(file);
    raw.exec("UPDATE meta SET value='99' WHERE key='schema_version'");
  }
  auto msg = error_of([&] { StateStore s(file); }, ErrorCode::kBadInput);
  CHECK_THAT(msg, Catch::Contains(file.string()) && Catch::Contains("newer"));
  msg = error_of([&] { StateStore s(file, StateStore::Mode::kReadOnly); }, ErrorCode::kBadInput);
  CHECK_THAT(msg, Catch::Contains(file.string()) && Catch::Contains("newer"));
  RawDb raw(file);
  CHECK(raw.scalar("SELECT value FROM meta WHERE key='schema_version'") == "99");  // not downgraded
}

TEST_CASE("a garbled schema_version is kBadInput, not a crash", "[state_store]") {
  TempDir dir;
  auto file = dir / "state.db";
  { StateStore s(file); }
  {
    RawDb raw(file);
    raw.exec("UPDATE meta SET value='one' WHERE key='schema_version'");
  }
  auto msg = error_of([&] { StateStore s(file); }, ErrorCode::kBadInput);
  CHECK_THAT(msg, Catch::Contains(file.string()) && Catch::Contains("schema_version"));
  error_of([&] { StateStore s(file, StateStore::Mode::kReadOnly); }, ErrorCode::kBadInput);
}

TEST_CASE("a schema 1 database (the first release) is migrated in place, keeping its rows", "[state_store]") {
  TempDir dir;
  auto file = dir / "state.db";
  {
    // Exactly what schema 1 created (an empty file is an empty database).
    write_text(file, "");
    RawDb raw(file);
    raw.exec(
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE versions(version TEXT PRIMARY KEY, state INTEGER NOT NULL, manifest_sha256 TEXT NOT NULL "
        "DEFAULT '', listing_sha256 TEXT NOT NULL DEFAULT '', previous TEXT NOT NULL DEFAULT '', attempts INTEGER "
        "NOT NULL DEFAULT 0, reason TEXT NOT NULL DEFAULT '', updated_at INTEGER NOT NULL);"
        "CREATE TABLE journal(id INTEGER PRIMARY KEY CHECK (id = 1), op INTEGER NOT NULL, version TEXT NOT NULL, "
        "from_version TEXT NOT NULL, started_at INTEGER NOT NULL);"
        "CREATE TABLE events(id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, kind TEXT NOT NULL, "
        "version TEXT NOT NULL, detail TEXT NOT NULL);"
        "INSERT INTO meta VALUES('schema_version', '1');"
        "INSERT INTO versions(version, state, updated_at) VALUES('1.0.0', 4, 1);");
  }
  // `launcher --upkeep-status` reads before anything migrated: no hook_runs table yet is no hook runs.
  CHECK(StateStore(file, StateStore::Mode::kReadOnly).hook_runs().empty());
  StateStore s(file);
  CHECK(s.meta("schema_version") == std::optional<std::string>("2"));
  CHECK(s.get("1.0.0")->state == VersionState::kGood);
  RawDb raw(file);
  CHECK(raw.scalar("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name IN ('failures', 'hook_runs')") ==
        "2");
}

TEST_CASE("an existing database is reopened without losing data", "[state_store]") {
  TempDir dir;
  auto file = dir / "state.db";
  {
    StateStore s(file);
    s.record_installed("1.0.0", "aa");
    s.add_event("installed", "1.0.0", "");
  }
  StateStore s(file);
  CHECK(s.get("1.0.0")->state == VersionState::kGood);
  CHECK(s.events(10).size() == 1);
  CHECK(s.integrity_check() == "ok");
}

TEST_CASE("hook runs: 'started' is committed with its count, the outcome replaces it, numbers are explicit",
          "[state_store][hooks]") {
  CHECK(static_cast<int>(HookRunState::kStarted) == 1);
  CHECK(static_cast<int>(HookRunState::kSucceeded) == 2);
  CHECK(static_cast<int>(HookRunState::kFailed) == 3);
  CHECK(static_cast<int>(HookRunState::kTimedOut) == 4);
  TempDir dir;
  auto file = dir / "state.db";
  StateStore store(file);
  CHECK_FALSE(store.hook_run("2.0.0", HookKind::kUpdate));

  HookRun r = store.hook_started("2.0.0", HookKind::kUpdate, "bin/setup");
  CHECK(r.state == HookRunState::kStarted);
  CHECK(r.path == "bin/setup");
  CHECK(r.attempts == 1);
  CHECK(r.started_at > 0);
  CHECK(r.finished_at == 0);
  // Durable at once: another connection sees it.
  RawDb raw(file);
  CHECK(raw.scalar("SELECT kind || ' ' || state || ' ' || attempts FROM hook_runs WHERE version = '2.0.0'") == "2 1 1");

  store.hook_finished("2.0.0", HookKind::kUpdate, HookRunState::kTimedOut, 143, "tail\n", "still running");
  CHECK(raw.scalar("SELECT state || ' ' || exit_code || ' ' || detail FROM hook_runs") == "4 143 still running");
  auto done = store.hook_run("2.0.0", HookKind::kUpdate);
  REQUIRE(done);
  CHECK(done->state == HookRunState::kTimedOut);
  CHECK(done->output == "tail\n");
  CHECK(done->finished_at >= done->started_at);

  // Started again (after a crash, say): the old outcome is cleared and the start counted.
  r = store.hook_started("2.0.0", HookKind::kUpdate, "bin/setup");
  CHECK(r.state == HookRunState::kStarted);
  CHECK(r.attempts == 2);
  CHECK(r.output.empty());
  CHECK(r.exit_code == 0);
  CHECK(r.finished_at == 0);
  store.hook_started("2.0.0", HookKind::kInstall, "bin/install");
  CHECK(store.hook_runs().size() == 2);
  CHECK(upkeep::hook_run_state_name(HookRunState::kTimedOut) == std::string("timed_out"));

  CHECK_THAT(error_of([&] { store.hook_finished("9.9.9", HookKind::kUpdate, HookRunState::kFailed, 1, "", ""); },
                      ErrorCode::kNotFound),
             Catch::Contains("no started update hook run of version 9.9.9"));
  error_of([&] { store.hook_finished("2.0.0", HookKind::kUpdate, HookRunState::kStarted, 0, "", ""); },
           ErrorCode::kUsage);
}

TEST_CASE("the store stamps what it writes with its clock", "[state_store]") {
  TempDir dir;
  const upkeep::FixedClock clock(upkeep::FixedClock::at_unix(1'800'000'000));
  StateStore store(dir / "state.db", StateStore::Mode::kReadWrite, clock);
  store.record_failure("2.0.0", "bad zip");
  store.record_staged("2.0.0", "aa", "bb");
  REQUIRE(store.failures().size() == 1);
  CHECK(store.failures()[0].updated_at == 1'800'000'000);
  REQUIRE_FALSE(store.events(10).empty());
  CHECK(store.events(10)[0].at == 1'800'000'000);
  CHECK(store.get("2.0.0")->updated_at == 1'800'000'000);
}
