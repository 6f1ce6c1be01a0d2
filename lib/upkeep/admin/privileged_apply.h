// PrivilegedApply: root's updater applying the staged version of a
// per-machine install while no user runs the app (`upkeep-updater
// --apply-when-idle`, which the update timer runs: update_timer.h).
//
// run(), under the install lock: finishes an interrupted operation
// (Applier::recover), takes the newest staged version, and leaves it staged
// when managed policy says not now (update_mode disabled or download_only,
// a target_version_prefix it does not match) or when a user runs the app
// (the exclusive lock on <root>/.running is not free: running_lock.h).
// Otherwise, holding that lock, it applies the version as the launcher would,
// runs its update hook, and checks every file's content against the signed
// manifest (FileManifest::verify_directory, kFull): users cannot record a
// trial in a root they cannot write, so this check stands in for one, and
// the version is marked good (events "confirmed" and "privileged_apply"). A
// failed hook or check rolls back to the version it replaced, marked bad as
// after a failed trial. Then it cleans up and opens the root to every user
// again (shared_root.h). Starts of the app wait while it holds .running:
// the apply, the hook and one read of the new version's bytes.
//
// Errors are thrown: the install lock held too long (kLockTimeout), an apply
// that failed (a failed try of the version, quarantine.h; `current`
// unchanged). One thread.
#pragma once

#include <string>

#include "upkeep/install/layout.h"
#include "upkeep/install/state_store.h"
#include "upkeep/policy/config.h"
#include "upkeep/policy/update_settings.h"

namespace upkeep::admin {

struct PrivilegedApplyResult {
  enum class Outcome {
    kNothingStaged,
    kHeldByPolicy,  // detail: why
    kInUse,         // a user runs the app: left staged for the next run
    kApplied,       // verified and marked good
    kRolledBack,    // detail: the hook or check that failed; `version` is bad now
  };
  Outcome outcome = Outcome::kNothingStaged;
  std::string version;  // the staged version concerned
  std::string from;     // the version it replaced (kApplied, kRolledBack)
  std::string detail;
};

// "nothing_staged", "held_by_policy", "in_use", "applied", "rolled_back".
const char* outcome_name(PrivilegedApplyResult::Outcome outcome);

class PrivilegedApply {
 public:
  PrivilegedApply(const Layout& layout, const Config& config, const UpdateSettings& settings)
      : layout_(layout), config_(config), settings_(settings) {}
  PrivilegedApplyResult run();

 private:
  std::string held_by_policy(const std::string& version) const;
  std::string why_not_good(StateStore& store, const std::string& version, const std::string& from) const;

  const Layout& layout_;
  const Config& config_;
  const UpdateSettings& settings_;
};

}  // namespace upkeep::admin
