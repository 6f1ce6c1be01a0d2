// UpdateObserver: how the update core reports to a user interface.
//
// The core calls these on its own (background) thread and never calls the
// UI directly; an implementation hands the news to its UI thread. The
// restart calls are the exception: RestartPolicy makes them on the thread
// that drives it, the application's UI thread. Every method has an empty
// default so a UI listens only to what it shows.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "upkeep/net/fetcher.h"

namespace upkeep {

struct ReleaseInfo;
struct RestartNotice;

class UpdateObserver {
 public:
  virtual ~UpdateObserver() = default;
  virtual void on_check_started() {}
  virtual void on_up_to_date(const std::string& current_version) {}
  virtual void on_update_found(const ReleaseInfo& release) {}
  virtual void on_download_progress(uint64_t bytes_done, uint64_t bytes_total) {}
  // Every byte of `version` is in: the stager now verifies and unpacks it (on_staged or on_error follows).
  virtual void on_verifying(const std::string& version) {}
  virtual void on_staged(const ReleaseInfo& release) {}
  // Staging `version` failed for the `failures`-th time (max_update_failures):
  // it is quarantined and will not be offered again. on_error follows.
  virtual void on_quarantined(const std::string& version, int failures, const std::string& last_error) {}
  // The check or the download failed; nothing was staged, the running version is unaffected.
  virtual void on_error(const std::string& message) {}
  // check_now() did not check: managed policy turned updates off (update_mode "disabled"); `why` names the file.
  virtual void on_updates_off(const std::string& why) {}
  // A check finished, whatever its outcome (after one of the calls above).
  virtual void on_check_finished() {}

  // Restart to update (RestartPolicy, on the UI thread):
  // a staged version is ready: the first notice, a reminder, or (forced) the deadline has come.
  virtual void on_restart_notice(const RestartNotice& notice) {}
  // restart_prompt "ask": whether to restart into `version` now. Without a UI to ask: no.
  virtual bool on_restart_question(const std::string& version) { return false; }
  // The user asked to restart, but no update is staged.
  virtual void on_nothing_to_restart_for() {}
  // The save hook failed (`error`): no restart. A forced restart is due again `retry_in` later.
  virtual void on_restart_blocked(const std::string& error, std::optional<std::chrono::minutes> retry_in) {}
  // Handed over to the launcher: the application exits now and the launcher applies `version`.
  virtual void on_restarting(const std::string& version) {}
};

// Hands a download's progress to an observer (the Stager takes a DownloadProgress).
class ObserverProgress : public net::DownloadProgress {
 public:
  // `version`: the release downloading, for on_verifying.
  explicit ObserverProgress(UpdateObserver& observer, std::string version = "")
      : observer_(observer), version_(std::move(version)) {}
  void on_progress(uint64_t done, uint64_t total) override { observer_.on_download_progress(done, total); }
  void on_verifying() override { observer_.on_verifying(version_); }

 private:
  UpdateObserver& observer_;
  std::string version_;
};

}  // namespace upkeep
