// Named crash points for fault-injection tests.
//
// crash_point("apply.switched") kills the process on the spot (SIGKILL, no
// clean-up, as a power cut would) when the environment variable
// UPKEEP_CRASH_AT names that step. When UPKEEP_TRACE_STEPS names a file,
// every crash point passed is appended to it as one line (O_APPEND, one
// write), so a harness that kills at a random moment can tell which step
// was the last one reached. Compiled in only with UPKEEP_FAULT_INJECTION
// (the default build, for the test suite); release builds can turn it off
// and pay nothing. Thread-safe.
#pragma once

#include <string_view>

namespace upkeep {

// Every named step, in the order an update passes them: download and
// staging (stager, in mainapp or upkeep-updater), apply, trial, rollback and
// clean-up (launcher), and release hooks (launcher, upkeep). crash_point()
// accepts only these names.
inline constexpr std::string_view kCrashPoints[] = {
    "stage.manifest_fetched",  // signed manifest fetched and checked, space checked
    "download.half",           // half of a download (package, blob or patch) is in its .part file
    "stage.downloaded",        // package complete and verified (renamed from .part)
    "stage.written",           // every file of staging/<v> written and hashed, none synced yet (package or delta)
    "stage.extracted",         // staging/<v> complete, every file hashed
    "delta.rebuilt",           // a delta update rebuilt one file into staging/<v>.delta/objects
    "stage.marked",            // .pending exists, nothing recorded yet
    "stage.recorded",          // state store says staged
    "apply.journaled",         // journal row written
    "apply.moved",             // staging/<v> renamed to versions/<v>
    "apply.switched",          // `current` points at the new version (point of no return passed)
    "apply.recorded",          // journal cleared, version on trial
    "trial.spawned",           // the new version is running on trial
    "trial.confirmed",         // the new version recorded itself good (in the app)
    "trial.recorded",          // the launcher saw the outcome and recorded it
    "rollback.journaled",      // rollback journal row written
    "rollback.switched",       // `current` points back at the previous version
    "rollback.recorded",       // journal cleared, the failed version marked bad
    "cleanup.removed",         // an old version folder was removed
    "hook.started",            // a release hook's "started" record is committed, the hook not yet spawned
};

#ifdef UPKEEP_FAULT_INJECTION
void crash_point(std::string_view step);
#else
inline void crash_point(std::string_view) {}
#endif

}  // namespace upkeep
