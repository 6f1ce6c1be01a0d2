// ReleaseHooks: runs the hook a version's signed manifest declares for one
// moment (install, update, uninstall) until it has succeeded once, and
// records every run in the state store (hook_runs, events).
//
// run() is a short orchestrator over named steps:
//   1. load_manifest: manifests/<v>.json must match the signed hash the
//      state store recorded for v, else Error(kVerification) and nothing runs;
//      no hook of that kind -> nullopt;
//   2. an earlier outcome stands: a hook that succeeded for v is not run
//      again, a failed or timed-out one is not retried (its outcome is
//      returned as it was recorded);
//   3. record "started" (committed: a crash from here on leaves it visible,
//      and the next run() runs the hook again) -> crash point hook.started;
//   4. verify_hook_file: size, mode and SHA-256 against the manifest entry
//      (a file that differs is not run: failed);
//   5. HookRunner::run, then the outcome and an event in one transaction.
// Hooks therefore run at least once and, after a success, never again: they
// must be idempotent (docs/vendor-guide.md). The caller holds the install lock. One thread.
#pragma once

#include <optional>
#include <string>

#include "upkeep/install/hook_spec.h"
#include "upkeep/install/layout.h"
#include "upkeep/install/manifest.h"
#include "upkeep/install/state_store.h"

namespace upkeep {

class ReleaseHooks {
 public:
  ReleaseHooks(const Layout& layout, StateStore& store) : layout_(layout), store_(store) {}

  // Runs the `kind` hook of installed `version` (in versions/<version>) as
  // described above. `previous` is the version it replaces (update hooks).
  // Returns the recorded run, or nullopt when the release declares no such hook.
  std::optional<HookRun> run(HookKind kind, const std::string& version, const std::string& previous = "");

 private:
  FileManifest load_manifest(const std::string& version) const;
  std::string verify_hook_file(const FileManifest& manifest, const HookSpec& hook, const std::string& version) const;
  void record_outcome(const HookRun& started, HookRunState state, int exit_code, const std::string& output,
                      const std::string& detail);

  const Layout& layout_;
  StateStore& store_;
};

// "the update hook bin/setup of 3.0.0 failed: exit code 1" (and succeeded / timed out / was interrupted).
std::string describe_hook_run(const HookRun& run);
// {"version","kind","path","state","attempts","exit_code","detail","output","started_at","finished_at"}
// with times as unix seconds; for --upkeep-status --upkeep-json and uninstall --json.
Json hook_run_to_json(const HookRun& run);

}  // namespace upkeep
