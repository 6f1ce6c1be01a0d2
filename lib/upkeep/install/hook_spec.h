// HookSpec: one release hook as the signed manifest declares it.
//
// A release may name files of its own to be executed at three moments:
// `install` (by `upkeep install`, once the first version is in place),
// `update` (by the launcher, when a newly applied version starts its trial)
// and `uninstall` (by `upkeep uninstall`, before the files go). In files.json
// (format 2) they appear as
//   "hooks":{"update":{"path":"bin/setup","timeout_seconds":60}, ...}
// A hook's path must be a file of the manifest whose mode has an x bit, and
// its time limit 1..3600 seconds. validate_hooks() checks all of that for
// both sides (release and parse). Plain values; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "upkeep/base/json.h"

namespace upkeep {

struct FileEntry;

// Stored in SQLite (hook_runs.kind): values are explicit and only grow.
enum class HookKind : int { kInstall = 1, kUpdate = 2, kUninstall = 3 };

inline constexpr int64_t kDefaultHookTimeoutSeconds = 60;
inline constexpr int64_t kMaxHookTimeoutSeconds = 3600;

// "install", "update", "uninstall".
const char* hook_kind_name(HookKind kind);
// The kind a name stands for; nullopt for anything else.
std::optional<HookKind> parse_hook_kind(std::string_view name);
// "install, update or uninstall": for messages that say what was expected.
const char* hook_kind_choices();

struct HookSpec {
  HookKind kind = HookKind::kUpdate;
  std::string path;  // relative to the version folder, '/'-separated
  int64_t timeout_seconds = kDefaultHookTimeoutSeconds;
};

// Checks `hooks` against the files of a release: at most one hook per kind,
// each path a listed file with an x bit, each time limit in 1..3600. Throws
// Error(kBadInput) "<what>: hooks.update.path 'bin/x' is not a file <where>"
// and the like, naming the field and what was expected. `files` is sorted
// by path; `where` says what the list is ("listed in the manifest", "of
// this release folder").
void validate_hooks(const std::vector<HookSpec>& hooks, const std::vector<FileEntry>& files, const std::string& what,
                    const std::string& where);

// The manifest's "hooks" object, sorted by kind; strict: unknown kinds or
// fields, wrong types and out-of-range limits are Error(kBadInput) naming them.
std::vector<HookSpec> parse_hooks(const Json& hooks, const std::string& what);
Json hooks_to_json(const std::vector<HookSpec>& hooks);

}  // namespace upkeep
