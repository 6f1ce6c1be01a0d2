// UpdateTimer: the systemd service and timer that keep an install current
// without the application running.
//
// Per machine (`install --system`, the system manager) the service runs, as
// root, `<root>/upkeep-updater --root <root> --scheduled --apply-when-idle`:
// check, stage, and apply when no user runs the app. Per user (`install
// --schedule`, the user's own manager) it runs the updater without
// --apply-when-idle: check and stage; the launcher applies at the next
// start. (--scheduled: managed policy's update_mode manual and quiet hours
// hold the check back.) What it prints goes to the journal. The timer fires 5 min after boot and every 6 h after the
// last run, each time up to 30 min later at random, so a fleet spreads its checks.
//
// Units are named upkeep-<app-id>.service and .timer (characters a unit
// name cannot hold escaped as \xNN) in /etc/systemd/system, or
// $XDG_CONFIG_HOME/systemd/user (~/.config/systemd/user), or a folder given
// instead (tests, packaging). enable() runs systemctl only where that
// manager runs (manager_runs()) and the units are in its own folder;
// elsewhere cron_line() is the line to give cron instead.
//
// write() replaces each file atomically; after a failure neither unit is
// left. remove_units() never throws: what it could not do is returned as a
// warning. Value type; one thread.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "upkeep/admin/install_paths.h"

namespace upkeep::admin {

class UpdateTimer {
 public:
  // The units of `app_id`'s install at `root`, in `dir` (else the scope's
  // manager folder). Error(kUsage) as InstallPaths::resolve when the per-user
  // folder needs a HOME that is not set; Error(kBadInput) for a root whose
  // path holds '\', '"' or '\'' (systemd refuses such a program path).
  static UpdateTimer for_install(InstallScope scope, const std::string& app_id, const std::filesystem::path& root,
                                 const std::optional<std::filesystem::path>& dir = std::nullopt,
                                 const InstallPaths::Env& env = {});
  // The folder the scope's manager reads its administrator's (or user's) units from.
  static std::filesystem::path manager_dir(InstallScope scope, const InstallPaths::Env& env = {});
  // Whether the scope's manager runs here: systemd is the init system
  // (/run/systemd/system) and, per user, the user's manager listens
  // ($XDG_RUNTIME_DIR/systemd/private).
  static bool manager_runs(InstallScope scope, const InstallPaths::Env& env = {});

  std::filesystem::path service_file() const { return dir_ / (unit_ + ".service"); }
  std::filesystem::path timer_file() const { return dir_ / (unit_ + ".timer"); }
  std::string service_text() const;
  std::string timer_text() const;
  // The updater's command line the service runs, as a crontab line: per
  // machine in /etc/cron.d's format (with the user "root"), per user for
  // `crontab -e`; every 6 h at a minute and hour chosen at random.
  std::string cron_line() const;

  void write() const;
  // True when the units are in the manager's folder and it runs here, i.e. enable() can work.
  bool can_enable(const InstallPaths::Env& env = {}) const;
  // systemctl [--user] daemon-reload, then enable --now the timer.
  // Error(kFailure) with systemctl's output when either fails.
  void enable() const;

  // Disables the timer (when `units` are in the manager's folder and it
  // runs) and removes the files; "" or what went wrong.
  static std::string remove_units(InstallScope scope, const std::vector<std::filesystem::path>& units,
                                  const InstallPaths::Env& env = {});

 private:
  UpdateTimer(InstallScope scope, std::string app_id, std::filesystem::path root, std::filesystem::path dir,
              std::string unit)
      : scope_(scope),
        app_id_(std::move(app_id)),
        root_(std::move(root)),
        dir_(std::move(dir)),
        unit_(std::move(unit)) {}
  std::vector<std::string> updater_command(bool quiet) const;

  InstallScope scope_;
  std::string app_id_;
  std::filesystem::path root_;
  std::filesystem::path dir_;
  std::string unit_;  // "upkeep-<app-id>", escaped
};

}  // namespace upkeep::admin
