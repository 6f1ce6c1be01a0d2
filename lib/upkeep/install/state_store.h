// StateStore: the install's record of truth in SQLite (WAL mode,
// synchronous=FULL), and the only module that speaks SQL.
//
// It holds one row per known version with its state, the apply/rollback
// journal (at most one operation in flight), the count of failed tries per
// update version (quarantine.h decides what counts), the latest run of each
// release hook, events for `launcher --upkeep-status`, and small key/value facts.
// Each public write is one transaction: after it
// returns the change is durable; after it throws nothing changed.
//
// One StateStore per thread (SQLite connections are not shared); several
// processes may open the same file at once (busy timeout 10 s).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/install/hook_spec.h"
#include "upkeep/platform/clock.h"

struct sqlite3;

namespace upkeep {

// Stored as integers: values are explicit and only ever grow.
enum class VersionState : int {
  kStaged = 2,       // verified and complete in staging/<v>, ready to apply
  kTrial = 3,        // promoted; must confirm a healthy start
  kGood = 4,         // confirmed healthy (current or kept for rollback)
  kBad = 5,          // failed its trial or was rolled back: never offered again
  kRemoved = 6,      // its folder was cleaned up (kept as history)
  kQuarantined = 7,  // failed max_update_failures tries to stage or apply: never tried again
  kSkipped = 8,      // the user chose "Skip this version" while it was staged: never offered again
};
const char* version_state_name(VersionState s);

enum class JournalOp : int { kApply = 1, kRollback = 2 };

struct VersionRecord {
  std::string version;
  VersionState state = VersionState::kStaged;
  std::string manifest_sha256;  // signed hash of manifests/<v>.json
  std::string listing_sha256;   // FileManifest::listing_digest() of that manifest
  std::string previous;         // for kTrial: the version to go back to
  int attempts = 0;             // trial starts so far
  std::string reason;           // why it is bad, for people
  int64_t updated_at = 0;       // unix seconds
};

// A release hook's run (hook_runs.state). Explicit values that only grow.
enum class HookRunState : int {
  kStarted = 1,    // committed before the hook is spawned: no outcome yet (a crash shows as this)
  kSucceeded = 2,  // exited 0: never run again for this version
  kFailed = 3,     // exited non-zero, was killed by a signal, or could not be started or checked
  kTimedOut = 4,   // still running at its time limit: its process group was killed
};
const char* hook_run_state_name(HookRunState s);

// One row per version and kind: the latest run of that hook.
struct HookRun {
  std::string version;
  HookKind kind = HookKind::kUpdate;
  HookRunState state = HookRunState::kStarted;
  std::string path;         // the hook's path inside the version folder
  int attempts = 0;         // starts so far (more than 1: it was interrupted and run again)
  int exit_code = 0;        // the exit code, or 128 + signal when killed
  std::string output;       // the last 4 KiB of its stdout and stderr
  std::string detail;       // for people: "exit code 1", "still running after its 60 s time limit"
  int64_t started_at = 0;   // unix seconds
  int64_t finished_at = 0;  // 0 while started
};

struct JournalEntry {
  JournalOp op = JournalOp::kApply;
  std::string version;       // being applied / being rolled back
  std::string from_version;  // what was current when it began
  int64_t started_at = 0;
};

// Failed tries of one update version so far (the `failures` table).
struct FailureRecord {
  std::string version;
  int count = 0;
  std::string last_error;
  int64_t updated_at = 0;  // unix seconds of the last failure
};

struct Event {
  int64_t id = 0;
  int64_t at = 0;
  std::string kind;  // "staged", "applied", "confirmed", "rolled_back", "recovered", ...
  std::string version;
  std::string detail;
};

class StateStore {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  // Opens (and in kReadWrite creates or migrates) the database. Throws
  // Error(kBadInput) for a file that is not a state database of ours, or
  // one written by a newer upkeep, Error(kPermission) for one this user
  // may not open. kReadOnly works without write access to the file or its
  // folder (another user's root, a read-only mount) and never creates the
  // -wal or -shm (state_store.cpp, open_read_only).
  // `clock` stamps the rows written (updated_at, event and failure times).
  explicit StateStore(const std::filesystem::path& file, Mode mode = Mode::kReadWrite,
                      const Clock& clock = *SystemClock::instance());
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;
  // Moved from StateRecovery::open(); the moved-from store may only be destroyed.
  StateStore(StateStore&& other) noexcept;
  StateStore& operator=(StateStore&&) = delete;

  // Why `file` is not a usable state database, or "" when it is (or does
  // not exist, or is empty: a new one). Damage is what SQLite calls
  // SQLITE_NOTADB or SQLITE_CORRUPT, a failed `PRAGMA quick_check`, or
  // something other than a regular file in its place. A database written
  // by a newer upkeep, a busy or unreadable one is not damage (""; opening
  // it then fails on its own). Opens `file` read-only; changes nothing.
  static std::string damage(const std::filesystem::path& file);
  // This open made the schema (the file was new or empty).
  bool created() const { return created_; }

  std::optional<VersionRecord> get(const std::string& version) const;
  std::vector<VersionRecord> all() const;
  std::vector<VersionRecord> in_state(VersionState s) const;
  // True when the launcher has work: a staged or trial version, or a journal entry.
  bool has_pending_work() const;

  void record_staged(const std::string& version, const std::string& manifest_sha256, const std::string& listing_sha256);
  void set_state(const std::string& version, VersionState s, const std::string& reason = "");
  // kTrial with `previous` to return to and no trial starts yet.
  void begin_trial(const std::string& version, const std::string& previous);
  // Counts one more start of a version on trial; returns the new count.
  int add_trial_attempt(const std::string& version);
  // Takes back one counted start: the launcher saw it end without evidence
  // against the version (killed from outside, launcher.h).
  void uncount_trial_attempt(const std::string& version);
  // Records a version present on disk without history (installer, recovery).
  void record_installed(const std::string& version, const std::string& manifest_sha256);
  // Records a version found on disk when state.db was rebuilt
  // (state_recovery.h): kGood with `previous` to go back to, no signed
  // manifest hash (unknown), `reason` saying so. Only a version not yet recorded.
  void record_recovered(const std::string& version, const std::string& previous, const std::string& reason);

  // Counts one more failed try of `version` with its error; returns the new count.
  int record_failure(const std::string& version, const std::string& error);
  // 0 when no try of `version` failed (or its count was cleared).
  int failure_count(const std::string& version) const;
  void clear_failures(const std::string& version);
  // Every version with a failure count, oldest failure first.
  std::vector<FailureRecord> failures() const;
  // kQuarantined with `reason` (the row is created when the version was never
  // recorded, e.g. it failed before it was staged) and an event "quarantined".
  void record_quarantined(const std::string& version, const std::string& reason);

  std::optional<JournalEntry> journal() const;
  void journal_begin(JournalOp op, const std::string& version, const std::string& from_version);
  // Finishes the journal and applies `then` in the same transaction.
  void journal_finish(const std::function<void()>& then);

  void add_event(const std::string& kind, const std::string& version, const std::string& detail);
  std::vector<Event> events(int limit) const;

  // Release hook runs (hook_runner.h, release_hooks.h).
  std::optional<HookRun> hook_run(const std::string& version, HookKind kind) const;
  std::vector<HookRun> hook_runs() const;
  // Records the hook as started (clearing an earlier outcome) and counts the
  // start; returns the record. Durable before it returns, so before the hook runs.
  HookRun hook_started(const std::string& version, HookKind kind, const std::string& path);
  // Records the outcome of the run hook_started() began. `state` is not kStarted.
  void hook_finished(const std::string& version, HookKind kind, HookRunState state, int exit_code,
                     const std::string& output, const std::string& detail);

  std::optional<std::string> meta(const std::string& key) const;
  void set_meta(const std::string& key, const std::string& value);

  // Runs `body` in one IMMEDIATE transaction (commits on return, rolls back on throw).
  void transaction(const std::function<void()>& body);
  // "ok" or SQLite's list of problems.
  std::string integrity_check() const;

 private:
  void open(const std::string& name, int flags);
  ErrorCode error_code_of(ErrorCode otherwise) const;
  void open_read_only();
  void exec(const char* sql) const;
  void migrate();
  int64_t now() const { return static_cast<int64_t>(clock_.unix_now()); }
  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
  int tx_depth_ = 0;
  bool created_ = false;
  const Clock& clock_;  // outlives the store
};

}  // namespace upkeep
