#include "upkeep/admin/update_timer.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <random>

#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/process.h"

namespace upkeep::admin {
namespace stdfs = std::filesystem;

namespace {

const char* env_value(const InstallPaths::Env& env, const char* name) { return env ? env(name) : std::getenv(name); }

// A unit name holds [A-Za-z0-9:_.-] (and '\'); anything else becomes \xNN, as systemd-escape writes it.
std::string unit_name_of(const std::string& app_id) {
  std::string out = "upkeep-";
  for (unsigned char c : app_id) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' || c == '_' ||
        c == '.' || c == '-') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

// One word of a unit file: quoted, '%' (a specifier) doubled; in a
// command's arguments (`argument`) also '$' (a variable) doubled and '\'
// and '"' escaped. A program's path may hold none of '\', '"', '\''
// (for_install refuses such roots).
std::string unit_word(const std::string& s, bool argument) {
  std::string out = "\"";
  for (char c : s) {
    if (argument && (c == '\\' || c == '"')) out += '\\';
    if (c == '%' || (argument && c == '$')) out += c;
    out += c;
  }
  return out + "\"";
}

// Free text in a unit file (Description=): only specifiers are expanded.
std::string unit_text(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '%' ? std::string("%%") : std::string(1, c);
  return out;
}

// One word of a crontab command (run by /bin/sh; cron turns '%' into a newline unless escaped).
std::string cron_word(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else if (c == '%')
      out += "\\%";
    else
      out += c;
  }
  return out + "'";
}

// systemctl [--user] ARGS...; Error(kFailure) with its output when it fails.
void systemctl(InstallScope scope, const std::vector<std::string>& args) {
  process::SpawnOptions o;
  o.argv = {stdfs::exists("/usr/bin/systemctl") ? "/usr/bin/systemctl" : "/bin/systemctl"};
  if (scope == InstallScope::kUser) o.argv.push_back("--user");
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = process::current_environment();
  const auto r = process::run_captured(o, std::chrono::seconds(60), 4096);
  if (!r.status.success() || r.timed_out) {
    std::string command;
    for (const auto& a : o.argv) command += (command.empty() ? "" : " ") + a;
    fail(ErrorCode::kFailure, command +
                                  (r.timed_out ? " did not finish in 60 s" : " failed (" + r.status.describe() + ")") +
                                  (r.output_tail.empty() ? "" : ": " + r.output_tail));
  }
}

}  // namespace

UpdateTimer UpdateTimer::for_install(InstallScope scope, const std::string& app_id, const stdfs::path& root,
                                     const std::optional<stdfs::path>& dir, const InstallPaths::Env& env) {
  check_app_id(app_id);
  if (root.string().find_first_of("\\\"'") != std::string::npos)
    fail(ErrorCode::kBadInput, "the install root " + root.string() +
                                   " holds a character a systemd unit cannot name a program with (\\, \" or '); "
                                   "choose another --prefix for an install with an update timer");
  return UpdateTimer(scope, app_id, stdfs::absolute(root), dir ? stdfs::absolute(*dir) : manager_dir(scope, env),
                     unit_name_of(app_id));
}

stdfs::path UpdateTimer::manager_dir(InstallScope scope, const InstallPaths::Env& env) {
  if (scope == InstallScope::kSystem) return "/etc/systemd/system";
  return InstallPaths::config_home(env) / "systemd" / "user";
}

bool UpdateTimer::manager_runs(InstallScope scope, const InstallPaths::Env& env) {
  std::error_code ec;
  if (!stdfs::is_directory("/run/systemd/system", ec)) return false;
  if (scope == InstallScope::kSystem) return true;
  const char* runtime = env_value(env, "XDG_RUNTIME_DIR");
  return runtime && *runtime && stdfs::exists(stdfs::path(runtime) / "systemd" / "private", ec);
}

std::vector<std::string> UpdateTimer::updater_command(bool quiet) const {
  std::vector<std::string> argv{(root_ / "upkeep-updater").string(), "--root", root_.string(), "--scheduled"};
  if (scope_ == InstallScope::kSystem) argv.push_back("--apply-when-idle");
  if (quiet) argv.push_back("--quiet");  // cron mails whatever a job prints
  return argv;
}

std::string UpdateTimer::service_text() const {
  std::string exec;
  for (const auto& a : updater_command(false))
    exec += exec.empty() ? unit_word(a, false) : " " + (a[0] == '-' ? a : unit_word(a, true));
  const bool system = scope_ == InstallScope::kSystem;
  std::string s = "# Written by `upkeep install`, removed by `upkeep uninstall` (docs/admin-guide.md).\n[Unit]\n";
  s += "Description=" + unit_text((system ? "Update " : "Check for updates of ") + app_id_ + " in " + root_.string()) +
       " (upkeep)\n";
  if (system) s += "Wants=network-online.target\nAfter=network-online.target\n";
  s += "\n[Service]\nType=oneshot\nExecStart=" + exec + "\nNice=10\nIOSchedulingClass=idle\nNoNewPrivileges=yes\n";
  if (system)
    s += "UMask=0022\n"
         "# Hardened, yet free to write the install root (and the release's update hook to run in it).\n"
         "ProtectSystem=full\nProtectHome=read-only\nReadWritePaths=" +
         unit_word(root_.string(), false) +
         "\nPrivateTmp=yes\nProtectKernelTunables=yes\nProtectKernelModules=yes\nProtectControlGroups=yes\n"
         "RestrictSUIDSGID=yes\nRestrictRealtime=yes\nLockPersonality=yes\n";
  return s;
}

std::string UpdateTimer::timer_text() const {
  return "# Written by `upkeep install`, removed by `upkeep uninstall` (docs/admin-guide.md).\n[Unit]\n"
         "Description=" +
         unit_text("Check for updates of " + app_id_ + " every 6 hours") +
         " (upkeep)\n\n[Timer]\n"
         "# After boot, then 6 h after each run; OnBootSec also covers the time the machine was off\n"
         "# (Persistent= applies to OnCalendar= timers only).\n"
         "OnBootSec=5min\nOnUnitActiveSec=6h\nRandomizedDelaySec=30min\n\n[Install]\nWantedBy=timers.target\n";
}

std::string UpdateTimer::cron_line() const {
  std::random_device rd;
  std::string line = std::to_string(rd() % 60) + " " + std::to_string(rd() % 6) + "-23/6 * * * ";
  if (scope_ == InstallScope::kSystem) line += "root ";
  std::string command;
  for (const auto& a : updater_command(true))
    command += (command.empty() ? "" : " ") + (a[0] == '-' ? a : cron_word(a));
  return line + command;
}

void UpdateTimer::write() const {
  fs::create_directories_durable(dir_);
  try {
    fs::write_file_atomic(service_file(), service_text(), 0644);
    fs::write_file_atomic(timer_file(), timer_text(), 0644);
  } catch (...) {
    std::error_code ec;
    stdfs::remove(service_file(), ec);
    throw;
  }
}

bool UpdateTimer::can_enable(const InstallPaths::Env& env) const {
  std::error_code ec;
  return manager_runs(scope_, env) && stdfs::equivalent(dir_, manager_dir(scope_, env), ec);
}

void UpdateTimer::enable() const {
  systemctl(scope_, {"daemon-reload"});
  systemctl(scope_, {"enable", "--now", timer_file().filename().string()});
  spdlog::info("enabled {}", timer_file().string());
}

std::string UpdateTimer::remove_units(InstallScope scope, const std::vector<stdfs::path>& units,
                                      const InstallPaths::Env& env) {
  std::string problems;
  auto note = [&](const std::string& problem) { problems += (problems.empty() ? "" : "; ") + problem; };
  auto try_systemctl = [&](const std::vector<std::string>& args) {
    try {
      systemctl(scope, args);
      return true;
    } catch (const Error& e) {
      note(e.what());
      return false;
    }
  };
  const bool managed = manager_runs(scope, env);
  std::error_code ec;
  bool disabled = false;
  for (const auto& unit : units)
    if (managed && unit.extension() == ".timer" && stdfs::equivalent(unit.parent_path(), manager_dir(scope, env), ec))
      disabled = try_systemctl({"disable", "--now", unit.filename().string()}) || disabled;
  for (const auto& unit : units)
    if (stdfs::remove(unit, ec); ec) note("cannot remove " + unit.string() + ": " + ec.message());
  if (disabled) try_systemctl({"daemon-reload"});
  if (!problems.empty()) spdlog::warn("{}", problems);
  return problems;
}

}  // namespace upkeep::admin
