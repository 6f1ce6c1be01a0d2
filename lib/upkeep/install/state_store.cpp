#include "upkeep/install/state_store.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <iterator>

#include "upkeep/base/error.h"
#include "upkeep/install/sqlite_statement.h"

namespace upkeep {
using state_store_detail::SqliteStatement;

namespace {

// Schema migrations: kMigrations[i] takes a database from schema version i
// to i + 1, in one transaction. Append only; never edit a released step.
const char* const kMigrations[] = {
    // 1: versions, journal, events, meta.
    R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions(
  version TEXT PRIMARY KEY,
  state INTEGER NOT NULL,
  manifest_sha256 TEXT NOT NULL DEFAULT '',
  listing_sha256 TEXT NOT NULL DEFAULT '',
  previous TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS journal(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  op INTEGER NOT NULL,
  version TEXT NOT NULL,
  from_version TEXT NOT NULL,
  started_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  version TEXT NOT NULL,
  detail TEXT NOT NULL);
)sql",
    // 2: failed tries per update (quarantine) and release hook runs.
    R"sql(
CREATE TABLE IF NOT EXISTS failures(
  version TEXT PRIMARY KEY,
  count INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hook_runs(
  version TEXT NOT NULL,
  kind INTEGER NOT NULL,
  state INTEGER NOT NULL,
  path TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER NOT NULL DEFAULT 0,
  output TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(version, kind));
)sql",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

// Refuses a schema newer than ours. A value that is not a number is a damaged
// file (kBadInput), not a std::invalid_argument escaping from std::stoi.
int check_schema_version(const std::string& v) {
  int n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 1)
    fail(ErrorCode::kBadInput, "meta 'schema_version' is '" + v + "', expected a positive integer");
  if (n > kSchemaVersion) fail(ErrorCode::kBadInput, "schema version " + v + " is newer than this program understands");
  return n;
}

VersionRecord read_version(const SqliteStatement& s) {
  VersionRecord r;
  r.version = s.text(0);
  r.state = static_cast<VersionState>(s.integer(1));
  r.manifest_sha256 = s.text(2);
  r.previous = s.text(3);
  r.attempts = static_cast<int>(s.integer(4));
  r.reason = s.text(5);
  r.updated_at = s.integer(6);
  r.listing_sha256 = s.text(7);
  return r;
}

constexpr const char* kVersionColumns =
    "SELECT version, state, manifest_sha256, previous, attempts, reason, updated_at, listing_sha256 FROM versions";

}  // namespace

const char* version_state_name(VersionState s) {
  switch (s) {
    case VersionState::kStaged:
      return "staged";
    case VersionState::kTrial:
      return "trial";
    case VersionState::kGood:
      return "good";
    case VersionState::kBad:
      return "bad";
    case VersionState::kRemoved:
      return "removed";
    case VersionState::kQuarantined:
      return "quarantined";
    case VersionState::kSkipped:
      return "skipped";
  }
  return "unknown";
}

namespace {

// "file:" URI of a path: the characters a URI gives a meaning to are escaped.
std::string file_uri(const std::filesystem::path& file) {
  std::string uri = "file:";
  for (char c : std::filesystem::absolute(file).string()) {
    if (c == '%' || c == '?' || c == '#') {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
      uri += hex;
    } else {
      uri += c;
    }
  }
  return uri;
}

}  // namespace

// kPermission when the operating system refused access (another user's or
// a read-only file, folder or mount), else `otherwise`.
ErrorCode StateStore::error_code_of(ErrorCode otherwise) const {
  int e = db_ ? sqlite3_system_errno(db_) : 0;
  // A read-only file or mount: SQLite opens it read-only without a word and refuses the first write.
  const int rc = db_ ? sqlite3_errcode(db_) : SQLITE_OK;
  return (e == EACCES || e == EPERM || e == EROFS || rc == SQLITE_READONLY || rc == SQLITE_PERM)
             ? ErrorCode::kPermission
             : otherwise;
}

void StateStore::open(const std::string& name, int flags) {
  if (sqlite3_open_v2(name.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    ErrorCode code = error_code_of(ErrorCode::kNotFound);
    sqlite3_close(db_);
    db_ = nullptr;
    fail(code, "cannot open state database " + file_.string() + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 10000);
}

// A reader never creates files beside state.db (see SQLite's "WAL mode,
// read-only databases"): one that did would leave a -shm or -wal owned by
// it, which the install's owner then could not write. With both the -wal
// and the -shm present it reads through them (the last writer's recent
// commits); otherwise the owner reads as usual (it may create them, as its
// own), and anyone else reads the file alone as immutable, which is the
// whole database when there is no -wal (the last writer checkpointed it
// on closing) and the last checkpoint when a writer is at work or crashed.
void StateStore::open_read_only() {
  const std::string db = file_.string();
  std::error_code ec;
  bool both = std::filesystem::exists(db + "-wal", ec) && std::filesystem::exists(db + "-shm", ec);
  struct stat st {};
  bool owner = ::stat(db.c_str(), &st) == 0 && st.st_uid == ::geteuid() &&
               ::access(file_.parent_path().empty() ? "." : file_.parent_path().c_str(), W_OK) == 0;
  if (both || owner) {
    open(db, SQLITE_OPEN_READONLY);
    return;
  }
  open(file_uri(file_) + "?immutable=1", SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
}

StateStore::StateStore(const std::filesystem::path& file, Mode mode, const Clock& clock) : file_(file), clock_(clock) {
  if (mode == Mode::kReadOnly) {
    open_read_only();
  } else {
    open(file.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  }
  try {
    if (mode == Mode::kReadWrite) {
      exec("PRAGMA journal_mode=WAL");
      exec("PRAGMA synchronous=FULL");
      migrate();
    } else {
      if (auto v = meta("schema_version")) check_schema_version(*v);
    }
  } catch (const Error& e) {
    ErrorCode code = error_code_of(e.code() == ErrorCode::kFailure ? ErrorCode::kBadInput : e.code());
    sqlite3_close(db_);
    db_ = nullptr;
    fail(code, file.string() + ": " + e.what());
  }
}

StateStore::~StateStore() { sqlite3_close(db_); }

StateStore::StateStore(StateStore&& other) noexcept
    : db_(other.db_),
      file_(std::move(other.file_)),
      tx_depth_(other.tx_depth_),
      created_(other.created_),
      clock_(other.clock_) {
  other.db_ = nullptr;
}

std::string StateStore::damage(const std::filesystem::path& file) {
  std::error_code ec;
  auto st = std::filesystem::symlink_status(file, ec);
  if (ec || st.type() == std::filesystem::file_type::not_found) return "";
  if (st.type() != std::filesystem::file_type::regular)
    return "it is not a regular file (" +
           std::string(st.type() == std::filesystem::file_type::directory ? "a folder" : "not a file") + ")";
  sqlite3* db = nullptr;
  // Read-only, and without creating a -shm where none may be made: a check, not a reader.
  int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  std::string why;
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(db, 10000);
    sqlite3_stmt* st_check = nullptr;
    rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st_check, nullptr);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(st_check);
      if (rc == SQLITE_ROW) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st_check, 0));
        std::string result = text ? text : "";
        if (result != "ok") why = "quick_check: " + result;
        rc = SQLITE_OK;
      }
    }
    sqlite3_finalize(st_check);
  }
  int primary = rc & 0xff;
  if (why.empty() && (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT))
    why = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  sqlite3_close(db);
  return why;
}

void StateStore::exec(const char* sql) const {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    fail(rc == SQLITE_FULL ? ErrorCode::kNoSpace : ErrorCode::kFailure, "state database: " + msg);
  }
}

void StateStore::migrate() {
  transaction([&] {
    auto v = meta("schema_version");
    int from = v ? check_schema_version(*v) : 0;
    created_ = from == 0;
    for (int i = from; i < kSchemaVersion; ++i) exec(kMigrations[i]);
    if (from != kSchemaVersion) set_meta("schema_version", std::to_string(kSchemaVersion));
  });
}

void StateStore::transaction(const std::function<void()>& body) {
  if (tx_depth_ > 0) {  // nested: part of the outer transaction
    body();
    return;
  }
  exec("BEGIN IMMEDIATE");
  ++tx_depth_;
  try {
    body();
    --tx_depth_;
    exec("COMMIT");
  } catch (...) {
    if (tx_depth_ > 0) --tx_depth_;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::optional<VersionRecord> StateStore::get(const std::string& version) const {
  SqliteStatement s(db_, (std::string(kVersionColumns) + " WHERE version = ?").c_str());
  s.bind(1, version);
  if (!s.step()) return std::nullopt;
  return read_version(s);
}

std::vector<VersionRecord> StateStore::all() const {
  SqliteStatement s(db_, (std::string(kVersionColumns) + " ORDER BY updated_at, version").c_str());
  std::vector<VersionRecord> out;
  while (s.step()) out.push_back(read_version(s));
  return out;
}

std::vector<VersionRecord> StateStore::in_state(VersionState st) const {
  SqliteStatement s(db_, (std::string(kVersionColumns) + " WHERE state = ? ORDER BY updated_at, version").c_str());
  s.bind(1, static_cast<int64_t>(st));
  std::vector<VersionRecord> out;
  while (s.step()) out.push_back(read_version(s));
  return out;
}

bool StateStore::has_pending_work() const {
  SqliteStatement s(db_,
                    "SELECT (SELECT COUNT(*) FROM versions WHERE state IN (2, 3)) + (SELECT COUNT(*) FROM journal)");
  s.step();
  return s.integer(0) > 0;
}

void StateStore::record_staged(const std::string& version, const std::string& manifest_sha256,
                               const std::string& listing_sha256) {
  transaction([&] {
    SqliteStatement s(
        db_,
        "INSERT INTO versions(version, state, manifest_sha256, listing_sha256, updated_at) VALUES(?, 2, ?, ?, ?) "
        "ON CONFLICT(version) DO UPDATE SET state = 2, manifest_sha256 = excluded.manifest_sha256, "
        "listing_sha256 = excluded.listing_sha256, reason = '', updated_at = excluded.updated_at");
    s.bind(1, version).bind(2, manifest_sha256).bind(3, listing_sha256).bind(4, now());
    s.step();
    add_event("staged", version, "");
  });
}

void StateStore::record_installed(const std::string& version, const std::string& manifest_sha256) {
  transaction([&] {
    SqliteStatement s(db_,
                      "INSERT INTO versions(version, state, manifest_sha256, updated_at) VALUES(?, 4, ?, ?) "
                      "ON CONFLICT(version) DO UPDATE SET state = 4, manifest_sha256 = excluded.manifest_sha256, "
                      "updated_at = excluded.updated_at");
    s.bind(1, version).bind(2, manifest_sha256).bind(3, now());
    s.step();
  });
}

void StateStore::record_recovered(const std::string& version, const std::string& previous, const std::string& reason) {
  transaction([&] {
    SqliteStatement s(db_,
                      "INSERT INTO versions(version, state, previous, reason, updated_at) VALUES(?, 4, ?, ?, ?) "
                      "ON CONFLICT(version) DO NOTHING");
    s.bind(1, version).bind(2, previous).bind(3, reason).bind(4, now());
    s.step();
  });
}

void StateStore::set_state(const std::string& version, VersionState st, const std::string& reason) {
  transaction([&] {
    SqliteStatement s(db_, "UPDATE versions SET state = ?, reason = ?, updated_at = ? WHERE version = ?");
    s.bind(1, static_cast<int64_t>(st)).bind(2, reason).bind(3, now()).bind(4, version);
    s.step();
    if (sqlite3_changes(db_) == 0) fail(ErrorCode::kNotFound, "state database: no record of version " + version);
  });
}

void StateStore::begin_trial(const std::string& version, const std::string& previous) {
  transaction([&] {
    SqliteStatement s(db_,
                      "UPDATE versions SET state = 3, previous = ?, attempts = 0, updated_at = ? WHERE version = ?");
    s.bind(1, previous).bind(2, now()).bind(3, version);
    s.step();
    if (sqlite3_changes(db_) == 0) fail(ErrorCode::kNotFound, "state database: no record of version " + version);
  });
}

int StateStore::add_trial_attempt(const std::string& version) {
  int attempts = 0;
  transaction([&] {
    SqliteStatement s(db_, "UPDATE versions SET attempts = attempts + 1, updated_at = ? WHERE version = ?");
    s.bind(1, now()).bind(2, version);
    s.step();
    if (sqlite3_changes(db_) == 0) fail(ErrorCode::kNotFound, "state database: no record of version " + version);
    attempts = get(version)->attempts;
  });
  return attempts;
}

void StateStore::uncount_trial_attempt(const std::string& version) {
  transaction([&] {
    SqliteStatement s(db_, "UPDATE versions SET attempts = attempts - 1 WHERE version = ? AND attempts > 0");
    s.bind(1, version);
    s.step();
  });
}

int StateStore::record_failure(const std::string& version, const std::string& error) {
  int count = 0;
  transaction([&] {
    SqliteStatement s(db_,
                      "INSERT INTO failures(version, count, last_error, updated_at) VALUES(?, 1, ?, ?) "
                      "ON CONFLICT(version) DO UPDATE SET count = count + 1, last_error = excluded.last_error, "
                      "updated_at = excluded.updated_at");
    s.bind(1, version).bind(2, error).bind(3, now());
    s.step();
    count = failure_count(version);
  });
  return count;
}

int StateStore::failure_count(const std::string& version) const {
  SqliteStatement s(db_, "SELECT count FROM failures WHERE version = ?");
  s.bind(1, version);
  return s.step() ? static_cast<int>(s.integer(0)) : 0;
}

void StateStore::clear_failures(const std::string& version) {
  transaction([&] {
    SqliteStatement s(db_, "DELETE FROM failures WHERE version = ?");
    s.bind(1, version);
    s.step();
  });
}

std::vector<FailureRecord> StateStore::failures() const {
  SqliteStatement s(db_, "SELECT version, count, last_error, updated_at FROM failures ORDER BY updated_at, version");
  std::vector<FailureRecord> out;
  while (s.step()) out.push_back({s.text(0), static_cast<int>(s.integer(1)), s.text(2), s.integer(3)});
  return out;
}

void StateStore::record_quarantined(const std::string& version, const std::string& reason) {
  transaction([&] {
    SqliteStatement s(
        db_,
        "INSERT INTO versions(version, state, reason, updated_at) VALUES(?, 7, ?, ?) "
        "ON CONFLICT(version) DO UPDATE SET state = 7, reason = excluded.reason, updated_at = excluded.updated_at");
    s.bind(1, version).bind(2, reason).bind(3, now());
    s.step();
    add_event("quarantined", version, reason);
  });
}

std::optional<JournalEntry> StateStore::journal() const {
  SqliteStatement s(db_, "SELECT op, version, from_version, started_at FROM journal WHERE id = 1");
  if (!s.step()) return std::nullopt;
  JournalEntry j;
  j.op = static_cast<JournalOp>(s.integer(0));
  j.version = s.text(1);
  j.from_version = s.text(2);
  j.started_at = s.integer(3);
  return j;
}

void StateStore::journal_begin(JournalOp op, const std::string& version, const std::string& from_version) {
  transaction([&] {
    SqliteStatement s(
        db_, "INSERT OR REPLACE INTO journal(id, op, version, from_version, started_at) VALUES(1, ?, ?, ?, ?)");
    s.bind(1, static_cast<int64_t>(op)).bind(2, version).bind(3, from_version).bind(4, now());
    s.step();
  });
}

void StateStore::journal_finish(const std::function<void()>& then) {
  transaction([&] {
    exec("DELETE FROM journal");
    then();
  });
}

void StateStore::add_event(const std::string& kind, const std::string& version, const std::string& detail) {
  transaction([&] {
    SqliteStatement s(db_, "INSERT INTO events(at, kind, version, detail) VALUES(?, ?, ?, ?)");
    s.bind(1, now()).bind(2, kind).bind(3, version).bind(4, detail);
    s.step();
  });
}

std::vector<Event> StateStore::events(int limit) const {
  SqliteStatement s(db_, "SELECT id, at, kind, version, detail FROM events ORDER BY id DESC LIMIT ?");
  s.bind(1, static_cast<int64_t>(limit));
  std::vector<Event> out;
  while (s.step()) out.push_back({s.integer(0), s.integer(1), s.text(2), s.text(3), s.text(4)});
  return out;
}

std::optional<std::string> StateStore::meta(const std::string& key) const {
  SqliteStatement check(db_, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
  check.step();
  if (check.integer(0) == 0) return std::nullopt;
  SqliteStatement s(db_, "SELECT value FROM meta WHERE key = ?");
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

void StateStore::set_meta(const std::string& key, const std::string& value) {
  transaction([&] {
    SqliteStatement s(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)");
    s.bind(1, key).bind(2, value);
    s.step();
  });
}

std::string StateStore::integrity_check() const {
  SqliteStatement s(db_, "PRAGMA integrity_check");
  std::string out;
  while (s.step()) out += (out.empty() ? "" : "\n") + s.text(0);
  return out;
}

}  // namespace upkeep
