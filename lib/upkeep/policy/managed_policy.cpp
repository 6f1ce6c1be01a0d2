#include "upkeep/policy/managed_policy.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "upkeep/base/error.h"
#include "upkeep/install/layout.h"
#include "upkeep/platform/fs.h"
#include "upkeep/policy/config.h"

#ifndef UPKEEP_DEFAULT_POLICY_DIR
#define UPKEEP_DEFAULT_POLICY_DIR "/etc/upkeep/policies"
#endif

namespace upkeep {
namespace stdfs = std::filesystem;

namespace {

constexpr const char* kPolicyDirVariable = "UPKEEP_POLICY_DIR";
constexpr uint64_t kMaxPolicyFile = 1 << 20;

bool is_policy_file_name(const std::string& name) {
  return name.size() > 5 && name[0] != '.' && name.compare(name.size() - 5, 5, ".json") == 0;
}

// Parses and checks one file; throws Error(kBadInput) naming the file.
Json read_policy_file(const stdfs::path& file) {
  Json j = Json::parse(fs::read_file(file, kMaxPolicyFile), file.string());  // names the file itself
  try {
    if (!j.is_object())
      fail(ErrorCode::kBadInput,
           std::string("expected a JSON object of settings at the top level, found ") + json_type_name(j.type()));
    UpdateSettings scratch;
    SettingSource src{SettingSource::Kind::kPolicy, file.string(), ""};
    for (const auto& [key, value] : j.as_object()) scratch.set(key, value, src);
  } catch (const Error& e) {
    fail_again(e, file.string() + ": " + e.what());
  }
  return j;
}

}  // namespace

stdfs::path ManagedPolicy::folder_for(const std::string& app_id, const EnvLookup& env, SettingSource* source) {
  if (app_id.empty() || app_id == "." || app_id == ".." || app_id.find('/') != std::string::npos ||
      app_id.find('\\') != std::string::npos)
    fail(ErrorCode::kBadInput, "app id '" + app_id + "' cannot name a policy folder (expected one path component)");
  SettingSource src;
  stdfs::path base = UPKEEP_DEFAULT_POLICY_DIR;
  if (auto v = env(kPolicyDirVariable)) {
    base = *v;
    src = SettingSource{SettingSource::Kind::kEnvironment, kPolicyDirVariable, ""};
  }
  if (source) *source = src;
  return base / app_id;
}

ManagedPolicy ManagedPolicy::load(const stdfs::path& folder) {
  ManagedPolicy p;
  p.folder_ = folder;
  std::error_code ec;
  if (!stdfs::exists(folder, ec)) return p;  // no policy
  std::vector<std::string> names;
  for (stdfs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (is_policy_file_name(name)) names.push_back(name);
  }
  if (ec) {
    // Nothing of an unreadable folder can apply; say so rather than pretend there is no policy.
    p.errors_.push_back({folder.string(), "cannot read the policy folder: " + ec.message()});
    spdlog::error("managed policy: cannot read {}: {}", folder.string(), ec.message());
    return p;
  }
  std::sort(names.begin(), names.end());  // byte order: "10-fleet.json" before "20-site.json"
  for (const auto& name : names) {
    stdfs::path file = folder / name;
    try {
      p.files_.push_back({file.string(), read_policy_file(file)});
    } catch (const std::exception& e) {
      p.errors_.push_back({file.string(), e.what()});
      spdlog::error("managed policy file rejected, none of its settings apply: {}", e.what());
    }
  }
  return p;
}

void ManagedPolicy::apply_to(UpdateSettings& s) const {
  s.policy_folder = folder_;
  s.policy_folder_source = folder_source_;
  for (const auto& f : files_) {
    SettingSource src{SettingSource::Kind::kPolicy, f.path, ""};
    for (const auto& [key, value] : f.settings.as_object()) s.set(key, value, src);
    s.policy_files.push_back(f.path);
  }
  s.policy_errors.insert(s.policy_errors.end(), errors_.begin(), errors_.end());
}

UpdateSettings ManagedPolicy::effective_settings(const Layout& layout, const Config& config, const EnvLookup& env) {
  ManagedPolicy policy;
  try {
    SettingSource folder_source;
    stdfs::path folder = folder_for(config.app_id, env, &folder_source);
    policy = load(folder);
    policy.folder_source_ = folder_source;
  } catch (const Error& e) {
    // No folder to read: shown like a rejected file, and the rest of the settings still apply.
    policy.errors_.push_back({"", e.what()});
    spdlog::error("managed policy not read: {}", e.what());
  }
  return UpdateSettings::resolve(config, layout.config_file(), policy, env);
}

}  // namespace upkeep
