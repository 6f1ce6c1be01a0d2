// UpdateService: the background updater a vendor's application embeds.
//
// check_now() runs one whole check on the calling thread: refresh the
// signed metadata (TUF), select the newest allowed release, download,
// verify and stage it. start() runs checks on a background thread: one at
// start, then every Config::check_interval_minutes with +-10% jitter (so a
// fleet does not hit the server in step); stop() wakes and joins it.
// Progress and results go to the UpdateObserver, on the checking thread.
//
// A check is background (the service's own thread, the launcher's
// --check-on-start) or manual (a person asked: mainapp --check-now,
// upkeep-updater --check-now). Only background checks honour a release's
// staged rollout (update/rollout.h): a manual check is offered the newest
// release whatever its rollout, and so is everyone a critical release.
//
// Public methods may be called from any thread; only one check runs at a
// time. After a failed check nothing is staged and the running version is
// unaffected; the next check starts afresh (a download resumes). A staging
// failure that is the update's own (not the network's, the disk's or a
// lock's) is a failed try of that version: the K-th (max_update_failures)
// quarantines it, and it is never selected again (quarantine.h).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "config.h"
#include "layout.h"
#include "net/fetcher.h"
#include "update/release_selector.h"
#include "update/update_observer.h"

namespace upkeep {

enum class CheckKind { kBackground, kManual };

class UpdateService {
 public:
  UpdateService(Layout layout, Config config, std::unique_ptr<Fetcher> fetcher, UpdateObserver& observer);
  ~UpdateService();
  UpdateService(const UpdateService&) = delete;
  UpdateService& operator=(const UpdateService&) = delete;

  // Returns the release that is staged after the check (new or already
  // staged earlier), or nullopt. Errors go to the observer and are rethrown.
  std::optional<ReleaseInfo> check_now(CheckKind kind = CheckKind::kManual);

  // Background checks; the first one may be manual (mainapp --check-now).
  void start(CheckKind first = CheckKind::kBackground);
  void stop();

  // The newest release staged by this service that, as of the last check,
  // still waits for the launcher (not applied, discarded or quarantined).
  std::optional<ReleaseInfo> staged() const;

 private:
  void run(CheckKind first);
  std::optional<ReleaseInfo> check_locked(CheckKind kind);

  Layout layout_;
  Config config_;
  std::unique_ptr<Fetcher> fetcher_;
  UpdateObserver& observer_;

  std::mutex check_mutex_;  // one check at a time
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::optional<ReleaseInfo> staged_;
  std::thread thread_;
};

}  // namespace upkeep
