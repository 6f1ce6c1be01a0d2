// Installer: puts an application into an install root, and takes it out.
//
// install(): bootstraps trust (a pinned root.json, or the repository's
// 1.root.json on first use), refreshes the signed metadata, picks the
// newest (or the requested) release, downloads, verifies and stages it
// with the same Stager the updater uses, promotes it, and writes the
// launcher, the config and the state, the desktop shortcut and icon
// (desktop_shortcut.h), the update timer's units (update_timer.h: per
// machine always, per user with `schedule`) and <root>/install.json
// (install_record.h), runs the release's install hook (release_hooks.h),
// opens a per-machine root to every user (shared_root.h), and last enables
// the timer where its systemd manager runs (else result.cron_line). Per user
// by default, per machine with InstallScope::kSystem (Error(kNeedsRoot)
// unless run as administrator); install_paths.h says where. After success
// the root starts with `<root>/<app-id>`. After failure (a failed install
// hook included) the root folder is removed if install() created it, the
// shortcut, icon and units too, and nothing else changed; a timer that
// cannot be enabled is no failure (result.timer_note says why).
// uninstall(): under the root's lock, runs the current version's uninstall
// hook (its failure is reported, never blocks), removes the shortcut, icon
// and units (the timer disabled first) the record names, with `purge` the
// user data folders too, then the install root; a root that does not exist
// is not an error (safe to run twice). User data stays unless `purge`;
// `purge` works in either order: with no record (the root removed by a plain
// uninstall before, or older than install.json) the XDG rules name the
// folders from config.json's app id or `fallback` (user_data_purge.h).
// One thread.
#pragma once

#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "upkeep/admin/install_paths.h"
#include "upkeep/install/state_store.h"
#include "upkeep/update/update_observer.h"

namespace upkeep::admin {

struct InstallOptions {
  std::string repository_url;  // ends with '/'
  InstallScope scope = InstallScope::kUser;
  InstallPathOverrides paths;          // no prefix: the scope's root for the app id (install_paths.h)
  bool shortcut = true;                // write the .desktop entry and its icon
  std::optional<std::string> version;  // exact version, else newest in channel (matching version_prefix)
  std::string version_prefix;          // "2.4.": only such versions (managed policy's target_version_prefix)
  std::optional<std::string> app_id;   // needed when the repository holds several apps
  std::string channel = "stable";
  std::optional<std::filesystem::path> trusted_root;  // pinned root.json; else first use
  std::filesystem::path launcher_binary;              // copied to <root>/<app-id>
  std::filesystem::path updater_binary;               // copied to <root>/upkeep-updater when present
  // What config.json names as the repository; unset: repository_url. A
  // bundle installs from its own payload and updates from elsewhere.
  std::optional<std::string> config_repository_url;
  std::vector<std::string> mirror_urls;  // config.json "mirrors": updates try them after the repository
  // Metadata expiry is checked as of this time (unix seconds); unset: now.
  // A bundle's metadata is checked as of when the bundle was made.
  std::optional<std::time_t> metadata_time;
  // Per user: also write the systemd user timer that checks and stages
  // (update_timer.h). Per machine the timer is always written.
  bool schedule = false;
  std::optional<std::filesystem::path> systemd_dir;  // where the units go; else the manager's folder
  // The repositories' credentials (net/credential_store.h; 0600, refused when looser), used by the
  // install and, when keep_credentials, copied to <root>/credentials.json (0600) for the updates.
  std::optional<std::filesystem::path> credentials_file;
  bool keep_credentials = true;  // false: managed policy names the file, and the updates read it there
};

struct InstallResult {
  std::string app_id;
  std::string version;
  std::filesystem::path launcher;
  std::optional<std::filesystem::path> desktop_entry;
  bool trusted_on_first_use = false;
  std::vector<std::filesystem::path> units;  // the update timer's service and timer, when written
  bool timer_enabled = false;                // systemctl enable --now succeeded
  std::string timer_note;                    // written but not enabled: why
  std::string cron_line;                     // then: the line to give cron instead
};

InstallResult install(const InstallOptions& options, UpdateObserver& observer);

// Installs the release an offline bundle holds (offline_bundle.h)
// without any network: the payload is unpacked into a temporary folder
// ($TMPDIR) and installed from there as from a repository (signatures and
// hashes verified as ever, expiry as of the bundle's creation). The
// launcher and updater are not covered by any signature, so they come from
// the same place as the program doing the install: the bundle's own when
// `use_bundled_programs` (the bundle runs itself: its program is already
// trusted that far), else options.launcher_binary and updater_binary (an
// installed upkeep's). `options` gives the scope, paths, shortcut and an
// optional pinned root (else the bundle's own 1.root.json, reported as
// trusted on first use) and config_repository_url (else the bundle's update
// URL); its version, app id and channel come from the bundle. Error(kBadBundle)
// for a bundle that is not one, is damaged or is for another platform; the
// temporary folder is removed on every way out.
InstallResult install_bundle(const std::filesystem::path& bundle, InstallOptions options, bool use_bundled_programs,
                             UpdateObserver& observer);

struct UninstallResult {
  bool removed = false;                       // false: nothing was installed there
  std::vector<std::filesystem::path> units;   // the update timer's units removed
  std::string units_problem;                  // what could not be disabled or removed (never blocks)
  std::optional<HookRun> hook;                // the uninstall hook's run, when the current version declares one
  std::string hook_problem;                   // why a declared hook could not be run (unverified manifest, ...)
  std::vector<std::filesystem::path> purged;  // user data folders removed (--purge)
  std::string purge_problem;                  // what --purge could not remove, and why (never blocks)
};

// Whose user data `purge` removes by the XDG rules when no record names it (user_data_purge.h).
struct PurgeFallback {
  std::string app_id;
  InstallScope scope = InstallScope::kUser;
};

UninstallResult uninstall(const std::filesystem::path& prefix, bool purge = false,
                          const std::optional<PurgeFallback>& fallback = std::nullopt);

}  // namespace upkeep::admin
