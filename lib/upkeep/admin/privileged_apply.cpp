#include "upkeep/admin/privileged_apply.h"

#include <spdlog/spdlog.h>

#include "upkeep/admin/shared_root.h"
#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/hooks/release_hooks.h"
#include "upkeep/install/applier.h"
#include "upkeep/install/manifest.h"
#include "upkeep/install/trash.h"
#include "upkeep/install/state_recovery.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/install_lock.h"
#include "upkeep/platform/running_lock.h"

namespace upkeep::admin {

using Outcome = PrivilegedApplyResult::Outcome;

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kNothingStaged:
      return "nothing_staged";
    case Outcome::kHeldByPolicy:
      return "held_by_policy";
    case Outcome::kInUse:
      return "in_use";
    case Outcome::kApplied:
      return "applied";
    case Outcome::kRolledBack:
      return "rolled_back";
  }
  return "unknown";
}

// The trial a user cannot record: the update hook, then every byte of the
// version against its signed manifest. "" when healthy, else why not.
std::string PrivilegedApply::why_not_good(StateStore& store, const std::string& version,
                                          const std::string& from) const {
  if (auto run = ReleaseHooks(layout_, store).run(HookKind::kUpdate, version, from);
      run && run->state != HookRunState::kSucceeded)
    return describe_hook_run(*run);
  try {
    const auto record = store.get(version);
    const std::string text = fs::read_file(layout_.manifest_file(version));
    if (!record || sha256_hex(text) != record->manifest_sha256)
      return layout_.manifest_file(version).string() + " does not match its signed hash";
    FileManifest::parse(text, layout_.manifest_file(version).string())
        .verify_directory(layout_.version_dir(version), FileManifest::Depth::kFull);
  } catch (const Error& e) {
    return std::string("its files failed the full check: ") + e.what();
  }
  return "";
}

PrivilegedApplyResult PrivilegedApply::run() {
  PrivilegedApplyResult result;
  if (!std::filesystem::exists(layout_.running_lock_file()))
    fail(ErrorCode::kNotFound, layout_.root().string() +
                                   " is not a per-machine install (it has no .running): applying when idle is for "
                                   "those; a per-user install's launcher applies at the next start");
  auto lock = InstallLock::acquire(layout_.lock_file(), std::chrono::seconds(config_.trial_timeout_seconds + 30));
  StateStore store = StateRecovery(layout_).open();
  Applier applier(layout_, store, config_.max_update_failures, settings_.downgrades_allowed());
  applier.recover();
  const auto staged = applier.staged_version();
  if (!staged) return result;
  result.version = *staged;
  result.detail = settings_.apply_refused(*staged, false);
  if (!result.detail.empty()) {
    result.outcome = Outcome::kHeldByPolicy;
    return result;
  }
  auto idle = RunningLock::try_exclusive(layout_.running_lock_file());
  if (!idle) {
    result.outcome = Outcome::kInUse;
    return result;
  }
  result.from = layout_.current_version().value_or("");
  applier.apply(*staged);
  result.detail = why_not_good(store, *staged, result.from);
  if (result.detail.empty()) {
    applier.mark_good(*staged);
    store.add_event("privileged_apply", *staged,
                    "applied while no one ran the app; every file matched the signed manifest");
    result.outcome = Outcome::kApplied;
  } else {
    if (result.from.empty())
      fail(ErrorCode::kVerification,
           *staged + " failed after a privileged apply, with no version to roll back to: " + result.detail);
    applier.rollback(*staged, result.from, "privileged apply: " + result.detail);
    result.outcome = Outcome::kRolledBack;
  }
  share_with_every_user(layout_);  // the new version's folders too, before anyone starts it
  idle.reset();
  try {
    applier.cleanup();
    lock.release();
    Trash(layout_).empty();  // nobody waits for root's updater: no need for a detached emptier
  } catch (const std::exception& e) {
    spdlog::warn("clean-up failed: {}", e.what());  // the next start or run cleans up
  }
  return result;
}

}  // namespace upkeep::admin
