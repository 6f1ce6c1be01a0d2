// UpdateService: the background updater a vendor's application embeds.
//
// check_now() runs one whole check on the calling thread: refresh the
// signed metadata (TUF), select the newest allowed release, download,
// verify and stage it. start() runs checks on a background thread: one at
// start, then every check_interval_minutes with +-10% jitter (so a fleet
// does not hit the server in step); stop() wakes and joins it. Progress and
// results go to the UpdateObserver, on the checking thread.
//
// The effective UpdateSettings (managed policy over config.json) decide:
// the repository (then its mirrors, in order: mirror_list.h), channel,
// version prefix and downgrades for every check;
// background checks only in update_mode automatic or download_only, never
// inside quiet hours (postponed to the window's end, read from the Clock);
// in "disabled" check_now() does not check either (on_updates_off), nor
// where this user cannot write the root (another user's per-machine install,
// which the machine's updater keeps up to date).
//
// A check is background (the service's own thread, the launcher's
// --upkeep-check-now) or manual (a person asked: mainapp --check-now,
// upkeep-updater --check-now). Only background checks honour a release's
// staged rollout (update/rollout.h): a manual check is offered the newest
// release whatever its rollout, and so is everyone a critical release.
//
// Public methods may be called from any thread; only one check runs at a
// time. After a failed check nothing is staged and the running version is
// unaffected; the next check starts afresh (a download resumes), and the
// service's background checks wait longer after each failed one
// (install/check_backoff.h; a manual check is never held back). A staging
// failure that is the update's own (not the network's, the disk's or a
// lock's) is a failed try of that version: the K-th (max_update_failures)
// quarantines it, and it is never selected again (quarantine.h).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "upkeep/install/layout.h"
#include "upkeep/net/fetcher.h"
#include "upkeep/platform/clock.h"
#include "upkeep/policy/config.h"
#include "upkeep/policy/update_settings.h"
#include "upkeep/update/release_selector.h"
#include "upkeep/update/update_observer.h"

namespace upkeep {

enum class CheckKind { kBackground, kManual };

// The fetcher's options for this install: the proxy of the effective
// settings, the transfer-rate limits of config.json, and the credentials of
// managed policy's credentials_file, else of <root>/credentials.json when it
// exists (a file that cannot be used fails every request: CredentialStore::open).
net::FetchOptions fetch_options(const Layout& layout, const Config& config, const UpdateSettings& settings);

class UpdateService {
 public:
  // Reads this machine's managed policy for config.app_id (ManagedPolicy::effective_settings).
  UpdateService(Layout layout, Config config, std::unique_ptr<net::Fetcher> fetcher, UpdateObserver& observer);
  UpdateService(Layout layout, Config config, UpdateSettings settings, std::unique_ptr<net::Fetcher> fetcher,
                UpdateObserver& observer, std::shared_ptr<const Clock> clock = SystemClock::instance());
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

  // The effective settings (update mode, restart prompt and deadline, quiet hours, …) with their sources.
  const UpdateSettings& settings() const { return settings_; }
  // How long the background thread waits before its next check may run:
  // zero now, the rest of the quiet hours inside them; nullopt when it
  // does not check at all (update mode manual or disabled).
  std::optional<std::chrono::minutes> background_delay() const;
  // Seconds background checks are held back after failed checks (install/check_backoff.h); 0: none.
  int64_t backoff_seconds() const;

 private:
  void run(CheckKind first);
  // Sleeps `d` of the clock's time (Clock::real_wait) unless stop() is called; true: stopping.
  bool sleep_or_stop(std::chrono::nanoseconds d);
  // Why check_now() does not check (policy, a root this user cannot write); nullopt: it checks.
  std::optional<std::string> why_off() const;
  std::optional<ReleaseInfo> check_locked(CheckKind kind);  // each source in turn (mirror_list.h)
  std::optional<ReleaseInfo> check_from(const std::string& repo, CheckKind kind);
  void record_outcome(bool ok);  // CheckBackoff: reset, or one more failure

  Layout layout_;
  Config config_;
  UpdateSettings settings_;
  std::unique_ptr<net::Fetcher> fetcher_;
  std::shared_ptr<const Clock> clock_;
  UpdateObserver& observer_;

  std::mutex check_mutex_;  // one check at a time
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::optional<ReleaseInfo> staged_;
  std::thread thread_;
};

}  // namespace upkeep
