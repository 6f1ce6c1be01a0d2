// StateStore's hook runs (the hook_runs table): split from state_store.cpp
// to keep each file short; the class and its rules are in state_store.h.
#include <sqlite3.h>

#include "upkeep/base/error.h"
#include "upkeep/install/sqlite_statement.h"
#include "upkeep/install/state_store.h"

namespace upkeep {
using state_store_detail::SqliteStatement;

namespace {
constexpr const char* kHookRunColumns =
    "SELECT version, kind, state, path, attempts, exit_code, output, detail, started_at, finished_at FROM hook_runs";

HookRun read_hook_run(const SqliteStatement& s) {
  HookRun r;
  r.version = s.text(0);
  r.kind = static_cast<HookKind>(s.integer(1));
  r.state = static_cast<HookRunState>(s.integer(2));
  r.path = s.text(3);
  r.attempts = static_cast<int>(s.integer(4));
  r.exit_code = static_cast<int>(s.integer(5));
  r.output = s.text(6);
  r.detail = s.text(7);
  r.started_at = s.integer(8);
  r.finished_at = s.integer(9);
  return r;
}
}  // namespace

const char* hook_run_state_name(HookRunState s) {
  switch (s) {
    case HookRunState::kStarted:
      return "started";
    case HookRunState::kSucceeded:
      return "succeeded";
    case HookRunState::kFailed:
      return "failed";
    case HookRunState::kTimedOut:
      return "timed_out";
  }
  return "unknown";
}

std::optional<HookRun> StateStore::hook_run(const std::string& version, HookKind kind) const {
  SqliteStatement s(db_, (std::string(kHookRunColumns) + " WHERE version = ? AND kind = ?").c_str());
  s.bind(1, version).bind(2, static_cast<int64_t>(kind));
  if (!s.step()) return std::nullopt;
  return read_hook_run(s);
}

std::vector<HookRun> StateStore::hook_runs() const {
  // A read-only store may look at a schema-1 file, which has no hook_runs yet.
  SqliteStatement check(db_, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'hook_runs'");
  check.step();
  if (check.integer(0) == 0) return {};
  SqliteStatement s(db_, (std::string(kHookRunColumns) + " ORDER BY started_at, version, kind").c_str());
  std::vector<HookRun> out;
  while (s.step()) out.push_back(read_hook_run(s));
  return out;
}

HookRun StateStore::hook_started(const std::string& version, HookKind kind, const std::string& path) {
  HookRun run;
  transaction([&] {
    SqliteStatement s(
        db_,
        "INSERT INTO hook_runs(version, kind, state, path, attempts, started_at) VALUES(?, ?, 1, ?, 1, ?) "
        "ON CONFLICT(version, kind) DO UPDATE SET state = 1, path = excluded.path, attempts = attempts + 1, "
        "exit_code = 0, output = '', detail = '', started_at = excluded.started_at, finished_at = 0");
    s.bind(1, version).bind(2, static_cast<int64_t>(kind)).bind(3, path).bind(4, now());
    s.step();
    run = *hook_run(version, kind);
  });
  return run;
}

void StateStore::hook_finished(const std::string& version, HookKind kind, HookRunState state, int exit_code,
                               const std::string& output, const std::string& detail) {
  if (state == HookRunState::kStarted) fail(ErrorCode::kUsage, "hook_finished: 'started' is not an outcome");
  transaction([&] {
    SqliteStatement s(db_,
                      "UPDATE hook_runs SET state = ?, exit_code = ?, output = ?, detail = ?, finished_at = ? "
                      "WHERE version = ? AND kind = ?");
    s.bind(1, static_cast<int64_t>(state)).bind(2, static_cast<int64_t>(exit_code)).bind(3, output).bind(4, detail);
    s.bind(5, now()).bind(6, version).bind(7, static_cast<int64_t>(kind));
    s.step();
    if (sqlite3_changes(db_) == 0)
      fail(ErrorCode::kNotFound,
           std::string("state database: no started ") + hook_kind_name(kind) + " hook run of version " + version);
  });
}

}  // namespace upkeep
