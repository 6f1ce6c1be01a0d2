#include "upkeep/admin/config_repair.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "upkeep/admin/install_record.h"
#include "upkeep/base/error.h"
#include "upkeep/install/state_recovery.h"
#include "upkeep/platform/build_platform.h"
#include "upkeep/platform/fs.h"
#include "upkeep/policy/config.h"

namespace upkeep::admin {
namespace stdfs = std::filesystem;

std::optional<std::string> ConfigRepair::launcher_name() const {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(layout_.root(), ec)) {
    const std::string name = e.path().filename().string();
    if (name == "upkeep-updater" || name.find('.') != std::string::npos || !e.is_regular_file(ec)) continue;
    if (::access(e.path().c_str(), X_OK) == 0) found.push_back(name);
  }
  if (found.size() == 1) return found[0];
  return std::nullopt;
}

ConfigRepairResult ConfigRepair::run() const {
  ConfigRepairResult result;
  const stdfs::path file = layout_.config_file();
  try {
    Config::load(file);
    return result;  // fine as it is
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kPermission) throw;
    result.damage = e.what();
  }
  InstallRecord::require_rights(layout_.root(), "repairing it");
  spdlog::warn("repair: {}: rewriting it", result.damage);
  Config base;
  base.platform = build_platform();
  result.sources.push_back("defaults (platform " + base.platform + ")");
  StateStore store = StateRecovery(layout_).open();
  if (auto kept = Config::remembered(store)) {
    base = Config::salvage(*kept, base, result.dropped);
    result.sources.push_back("state.db's copy of the last good config.json");
  }
  try {
    base = Config::salvage(Json::parse(fs::read_file(file, 1 << 20), file.string()), base, result.dropped);
    result.sources.push_back("the values of the damaged config.json that are right");
  } catch (const Error&) {
    // Nothing of it can be read: missing, a folder, not JSON.
  }
  if (app_id_) {
    base.app_id = *app_id_;
    result.sources.push_back("the app id given (--app-id)");
  } else if (base.app_id.empty()) {
    if (auto name = launcher_name()) {
      base.app_id = *name;
      result.sources.push_back("the launcher's name in the root");
    }
  }
  if (repository_ && !repository_->empty()) {
    base.repository_url = *repository_;
    if (base.repository_url.back() != '/') base.repository_url += '/';
    result.sources.push_back("the repository given (--repository)");
  }
  std::vector<std::string> missing;
  if (base.app_id.empty()) missing.push_back("the app id (give it with --app-id ID)");
  if (base.repository_url.empty())
    missing.push_back(
        "the repository URL (neither config.json nor state.db records it: give it with --repository URL)");
  if (!missing.empty()) {
    std::string what;
    for (const auto& m : missing) what += (what.empty() ? "" : "; ") + m;
    fail(ErrorCode::kNotFound, "cannot rewrite " + file.string() + " (" + result.damage + "): missing " + what);
  }
  std::error_code ec;
  if (stdfs::is_directory(file, ec)) stdfs::remove_all(file);  // a folder in its place: the rename needs the name
  base.save(file);
  Config::remember(store, base);
  store.add_event("config_repaired", layout_.current_version().value_or(""), result.damage);
  result.rewritten = true;
  return result;
}

}  // namespace upkeep::admin
