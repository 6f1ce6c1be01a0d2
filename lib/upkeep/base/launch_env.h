// Names of the environment variables the launcher sets for the main program
// (and, with UPKEEP_HOOK, for release hooks).
#pragma once

namespace upkeep::env {

inline constexpr const char* kRoot = "UPKEEP_ROOT";                         // the install root
inline constexpr const char* kVersion = "UPKEEP_VERSION";                   // the version being started
inline constexpr const char* kPreviousVersion = "UPKEEP_PREVIOUS_VERSION";  // first start after an update only
inline constexpr const char* kLauncher = "UPKEEP_LAUNCHER";                 // the launcher, for "restart to update"
inline constexpr const char* kTrial = "UPKEEP_TRIAL";                       // "1" while this version is on trial
inline constexpr const char* kHealthFd = "UPKEEP_HEALTH_FD";                // the trial's health channel
inline constexpr const char* kReadyFd = "UPKEEP_READY_FD";                  // hand-over: write a byte when serving
inline constexpr const char* kCrashAt = "UPKEEP_CRASH_AT";                  // fault injection (tests only)
inline constexpr const char* kTraceSteps = "UPKEEP_TRACE_STEPS";            // fault injection: log of steps passed
inline constexpr const char* kHook = "UPKEEP_HOOK";  // set for a release hook: install, update, uninstall

}  // namespace upkeep::env
