#include "upkeep/admin/install_paths.h"

#include <cstdlib>

#include "upkeep/base/error.h"

namespace upkeep::admin {

namespace stdfs = std::filesystem;

void check_app_id(const std::string& app_id) {
  if (app_id.empty() || app_id.size() > 255 || app_id.find('/') != std::string::npos || app_id[0] == '.' ||
      app_id.find('\0') != std::string::npos)
    fail(ErrorCode::kBadInput, "app id '" + app_id + "' cannot name a file (expected no '/', no leading '.')");
}

namespace {

InstallPaths::Env or_getenv(const InstallPaths::Env& env) {
  return env ? env : InstallPaths::Env([](const char* n) -> const char* { return std::getenv(n); });
}

// An XDG base directory: an unset, empty or relative value means $HOME/<fallback>.
stdfs::path xdg_dir(const InstallPaths::Env& env, const char* name, const char* fallback) {
  const char* v = env(name);
  if (v && *v && stdfs::path(v).is_absolute()) return v;
  const char* h = env("HOME");
  if (!h || !*h || !stdfs::path(h).is_absolute())
    fail(ErrorCode::kUsage, "HOME is not set to an absolute path; give --prefix (and --applications-dir)");
  return stdfs::path(h) / fallback;
}

}  // namespace

stdfs::path InstallPaths::user_data_home(const std::string& app_id, const Env& env) {
  check_app_id(app_id);
  return xdg_dir(or_getenv(env), "XDG_DATA_HOME", ".local/share") / app_id;
}

stdfs::path InstallPaths::config_home(const Env& env) { return xdg_dir(or_getenv(env), "XDG_CONFIG_HOME", ".config"); }

InstallPaths InstallPaths::resolve(InstallScope scope, const std::string& app_id, const InstallPathOverrides& o,
                                   const Env& env_in) {
  check_app_id(app_id);
  const Env env = or_getenv(env_in);
  InstallPaths p;
  p.scope = scope;
  if (scope == InstallScope::kSystem) {
    p.root = "/opt/" + app_id;
    p.applications_dir = "/usr/share/applications";
    p.icons_dir = "/usr/share/icons";
    p.user_data = {stdfs::path("/var/lib") / app_id};
    p.log_dir = "/var/log/upkeep";
  } else {
    auto xdg = [&](const char* name, const char* fallback) { return xdg_dir(env, name, fallback); };
    const stdfs::path data = xdg("XDG_DATA_HOME", ".local/share");
    const stdfs::path state = xdg("XDG_STATE_HOME", ".local/state");
    p.root = data / "upkeep" / app_id;
    p.applications_dir = data / "applications";
    p.icons_dir = data / "icons";
    p.user_data = {xdg("XDG_CONFIG_HOME", ".config") / app_id, data / app_id, state / app_id,
                   xdg("XDG_CACHE_HOME", ".cache") / app_id};
    p.log_dir = state / "upkeep";
  }
  if (o.prefix) p.root = stdfs::absolute(*o.prefix);
  if (o.applications_dir) p.applications_dir = stdfs::absolute(*o.applications_dir);
  if (o.icons_dir) p.icons_dir = stdfs::absolute(*o.icons_dir);
  return p;
}

}  // namespace upkeep::admin
