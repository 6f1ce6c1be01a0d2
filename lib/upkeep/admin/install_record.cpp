#include "upkeep/admin/install_record.h"

#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/privileges.h"

namespace upkeep::admin {

namespace {

std::filesystem::path absolute_path(const Json& j, const std::string& key, const std::filesystem::path& file) {
  if (!j.is_string() || !std::filesystem::path(j.as_string()).is_absolute())
    fail(ErrorCode::kBadInput, file.string() + ": '" + key + "' must be an absolute path");
  return j.as_string();
}

}  // namespace

std::optional<InstallRecord> InstallRecord::load(const std::filesystem::path& root) {
  const std::filesystem::path file = file_in(root);
  if (!std::filesystem::exists(file)) return std::nullopt;
  const Json j = Json::parse(fs::read_file(file, 1 << 20), file.string());
  if (!j.is_object()) fail(ErrorCode::kBadInput, file.string() + ": expected an object");
  InstallRecord r;
  for (const auto& [key, value] : j.as_object()) {
    if (key == "scope") {
      if (!value.is_string() || (value.as_string() != "user" && value.as_string() != "system"))
        fail(ErrorCode::kBadInput, file.string() + ": 'scope' must be \"user\" or \"system\"");
      r.scope = value.as_string() == "system" ? InstallScope::kSystem : InstallScope::kUser;
    } else if (key == "desktop_entry") {
      r.desktop_entry = absolute_path(value, key, file);
    } else if (key == "icon") {
      r.icon = absolute_path(value, key, file);
    } else if (key == "user_data" || key == "units") {
      if (!value.is_array()) fail(ErrorCode::kBadInput, file.string() + ": '" + key + "' must be an array");
      for (const Json& d : value.as_array())
        (key == "units" ? r.units : r.user_data).push_back(absolute_path(d, key, file));
    } else {
      fail(ErrorCode::kBadInput, file.string() + ": unknown key '" + key + "'");
    }
  }
  return r;
}

void InstallRecord::save(const std::filesystem::path& root) const {
  Json j = Json::object();
  j["scope"] = scope == InstallScope::kSystem ? "system" : "user";
  if (desktop_entry) j["desktop_entry"] = desktop_entry->string();
  if (icon) j["icon"] = icon->string();
  auto paths = [](const std::vector<std::filesystem::path>& list) {
    Json a = Json::array();
    for (const auto& p : list) a.push_back(p.string());
    return a;
  };
  if (!units.empty()) j["units"] = paths(units);
  j["user_data"] = paths(user_data);
  fs::write_file_atomic(file_in(root), j.dump(2) + "\n", 0644);
}

void InstallRecord::require_rights(const std::filesystem::path& root, const std::string& doing) {
  if (const auto record = load(root); record && record->scope == InstallScope::kSystem && !running_as_administrator())
    fail(ErrorCode::kNeedsRoot,
         root.string() + " is a per-machine install: " + doing + " needs administrator rights (root)");
}

}  // namespace upkeep::admin
