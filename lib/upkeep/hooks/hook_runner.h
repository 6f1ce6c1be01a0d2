// HookRunner: runs one release hook as a child process, with its time limit,
// and says how it ended.
//
// The hook contract (docs/vendor-guide.md "Release hooks"): argv is
// [<version folder>/<path>, <kind>], the working directory is the version
// folder, stdin is the null device, and the environment is the caller's
// (without the launcher's trial variables) plus UPKEEP_HOOK=<kind>,
// UPKEEP_ROOT, UPKEEP_VERSION and, for update hooks, UPKEEP_PREVIOUS_VERSION.
// stdout and stderr are captured together; the last 4 KiB are kept as
// printable UTF-8 and logged. A hook still running at its time limit has its
// whole process group ended; whatever a hook leaves running in its group
// when it exits is ended as well.
//
// It neither checks the file nor records anything: release_hooks.h does.
// After run() returns, the hook has ended and was reaped, whatever the
// outcome; it throws only for a bad argument. One thread; stateless.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "upkeep/install/hook_spec.h"
#include "upkeep/install/state_store.h"

namespace upkeep {

inline constexpr size_t kHookOutputTailBytes = 4096;

// Where a hook runs.
struct HookContext {
  std::filesystem::path root;         // the install root (UPKEEP_ROOT)
  std::filesystem::path version_dir;  // the version folder: working directory, base of the hook's path
  std::string version;                // UPKEEP_VERSION
  std::string previous_version;       // UPKEEP_PREVIOUS_VERSION (update hooks; empty: not set)
};

struct HookResult {
  HookRunState state = HookRunState::kFailed;  // kSucceeded, kFailed or kTimedOut
  int exit_code = 0;                           // the exit code, or 128 + signal when killed
  std::string output;                          // the last bytes of stdout and stderr, printable UTF-8
  std::string detail;  // "exit code 0", "killed by signal 9 (Killed)", "still running after its 5 s time limit ..."
  bool succeeded() const { return state == HookRunState::kSucceeded; }
};

class HookRunner {
 public:
  explicit HookRunner(size_t tail_bytes = kHookOutputTailBytes) : tail_bytes_(tail_bytes) {}

  // Runs `hook` in `context` to its end or its time limit. A hook that
  // cannot be started is kFailed with the reason in `detail`.
  HookResult run(const HookSpec& hook, const HookContext& context) const;

 private:
  size_t tail_bytes_;
};

// Replaces what is not printable UTF-8 (control characters other than
// newline and tab, invalid or cut sequences) with '?', so hook output can go
// into the state store, JSON and terminals as it is.
std::string printable_utf8(std::string_view bytes);

}  // namespace upkeep
