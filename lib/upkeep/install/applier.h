// Applier: promotes a staged version, rolls back, recovers from a crash,
// and cleans up. The caller holds the InstallLock for every call.
//
// Each operation is a short orchestrator over named, idempotent steps and
// a journal row in the state store: if the process dies anywhere, recover()
// on the next start finishes the operation (roll forward) from whatever
// step it reached. Cost is independent of the update's size: a stat-level
// check, one rename of a folder, one rename of a symlink and two small
// transactions.
//
// After apply() succeeds `current` points at the new version, which is in
// state kTrial, and its failure count is cleared; an older version still
// staged is kRemoved ("superseded") and its staged files discarded. A failure before the point
// of no return (the check, the move, the switch; in apply() or recover()) is
// a failed try of the version (quarantine.h): the error is rethrown with the
// count, `current` is unchanged, and the journal stays for the next start to
// finish, until the K-th failed try abandons the apply (journal cleared,
// staged files discarded, version kQuarantined, event). One thread;
// construct per use.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "upkeep/install/layout.h"
#include "upkeep/install/quarantine.h"
#include "upkeep/install/refused_versions.h"
#include "upkeep/install/state_store.h"

namespace upkeep {

class Applier {
 public:
  // `max_update_failures`: failed tries of one version before it is quarantined (config.json).
  // `downgrades_allowed`: managed policy lets a staged version older than
  // `current` be applied (rollback_to_target_version, allow_downgrade);
  // otherwise apply refuses it (kDowngrade).
  Applier(const Layout& layout, StateStore& store, int64_t max_update_failures, bool downgrades_allowed = false)
      : layout_(layout),
        store_(store),
        quarantine_(store, max_update_failures),
        downgrades_allowed_(downgrades_allowed) {}

  // Finishes an operation the journal says was interrupted. Returns true
  // when there was one. Throws when it cannot be finished now; an apply
  // counts that as a failed try (see above), a rollback is simply retried.
  bool recover();

  // Checks staging/<v> against its signed manifest (stat-level; the content
  // was hashed when it was staged), then promotes it and puts it on trial.
  // A staged version that fails the check is discarded (kRemoved, or
  // kQuarantined at the K-th failed try; event) and Error(kVerification) is
  // thrown; the current version is untouched.
  void apply(const std::string& version);

  // Points `current` back at `to` and marks `bad` as kBad with `reason`.
  void rollback(const std::string& bad, const std::string& to, const std::string& reason);

  // A version on trial confirmed a healthy start.
  void mark_good(const std::string& version);

  // Removes version folders other than current, the version it would roll
  // back to and both versions of an unfinished journal operation, and, when
  // no stager holds the staging lock, every staging leftover that is not a
  // staged version or a download (*.package.zip, *.part) of a version newer
  // than current and not refused (refused_versions.h), which a later check
  // resumes.
  // "Removes" is a move into the trash (trash.h): one rename per entry,
  // whatever its size; the caller empties the trash (the launcher in the
  // background). Clears the .pending marker (PendingMarker) when nothing is
  // left for the launcher.
  void cleanup();

  // The newest staged version, if any.
  std::optional<std::string> staged_version() const;

 private:
  bool still_wanted(const std::string& version, const std::optional<std::string>& current,
                    const RefusedVersions& refused) const;
  void verify_staged(const std::string& version);
  // Versions recorded kStaged that are older than `version` (SemVer).
  std::vector<std::string> staged_older_than(const std::string& version) const;
  void step_move_into_versions(const std::string& version);
  void step_switch_current(const std::string& version);
  void finish_apply(const std::string& version, const std::string& from);
  void finish_rollback(const std::string& bad, const std::string& to, const std::string& reason);
  void step_discard_files(const std::string& version);
  void counted_as_a_try(const std::string& version, const std::function<void()>& steps);
  std::string rollback_target() const;

  const Layout& layout_;
  StateStore& store_;
  Quarantine quarantine_;
  bool downgrades_allowed_;
};

}  // namespace upkeep
