#include "upkeep/install/version_skip.h"

#include <spdlog/spdlog.h>

#include "upkeep/base/error.h"
#include "upkeep/install/kept_manifest.h"
#include "upkeep/install/pending_marker.h"
#include "upkeep/install/state_recovery.h"
#include "upkeep/install/state_store.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/install_lock.h"

namespace upkeep {

void VersionSkip::skip(const std::string& version) const {
  auto lock = InstallLock::acquire(layout_.lock_file(), kLockWait);
  StateStore store = StateRecovery(layout_).open();
  auto r = store.get(version);
  if (!r || r->state != VersionState::kStaged) fail(ErrorCode::kNotFound, "version " + version + " is not staged");
  // Recorded first: a crash before the files are gone leaves leftovers the clean-up removes.
  store.transaction([&] {
    store.set_state(version, VersionState::kSkipped, "skipped by the user");
    store.add_event("skipped", version, "the user chose to skip this version");
  });
  spdlog::info("skipped version {}: it will not be offered again", version);
  remove_files(version);
  PendingMarker(layout_).clear_if_idle(store);
}

void VersionSkip::remove_files(const std::string& version) const {
  auto staging = InstallLock::try_acquire(layout_.staging_lock_file());
  if (!staging) {
    spdlog::info("a stager is at work: the launcher's clean-up removes {}'s staged files", version);
    return;
  }
  fs::remove_tree(layout_.staged_dir(version));
  // A promoted folder of the same version (never expected) would still need its manifest.
  std::error_code ec;
  if (!std::filesystem::exists(layout_.version_dir(version), ec)) KeptManifest(layout_).remove(version);
}

}  // namespace upkeep
