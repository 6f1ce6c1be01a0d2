#include "upkeep/policy/update_settings.h"

#include <spdlog/spdlog.h>

#include <array>
#include <cstdlib>

#include "upkeep/base/trailing_slash.h"
#include "upkeep/base/error.h"
#include "upkeep/policy/config.h"

namespace upkeep {
namespace {

constexpr const char* kModes[] = {"automatic", "download_only", "manual", "disabled"};
constexpr const char* kPrompts[] = {"ask", "notify", "forced"};

[[noreturn]] void expected(std::string_view key, const std::string& what, const Json& found) {
  std::string f = json_type_name(found.type());
  if (found.is_string()) f = "'" + found.as_string() + "'";
  if (found.is_int()) f = std::to_string(found.as_int());
  if (found.is_bool()) f = found.as_bool() ? "true" : "false";
  fail(ErrorCode::kBadInput, "key '" + std::string(key) + "': expected " + what + ", found " + f);
}

const std::string& string_of(std::string_view key, const Json& v, const std::string& what) {
  if (!v.is_string()) expected(key, what, v);
  return v.as_string();
}

int64_t int_of(std::string_view key, const Json& v, const std::string& what) {
  if (!v.is_int()) expected(key, what, v);
  return v.as_int();
}

bool bool_of(std::string_view key, const Json& v) {
  if (!v.is_bool()) expected(key, "true or false", v);
  return v.as_bool();
}

template <class Enum, size_t N>
Enum enum_of(std::string_view key, const Json& v, const char* const (&names)[N]) {
  std::string list;
  for (size_t i = 0; i < N; ++i) list += (i ? ", " : "") + std::string("\"") + names[i] + "\"";
  const std::string& s = string_of(key, v, "one of " + list);
  for (size_t i = 0; i < N; ++i)
    if (s == names[i]) return static_cast<Enum>(i);
  expected(key, "one of " + list, v);
}

// Digits separated by single dots, optionally ending with a dot: "2", "2.4", "2.4.".
bool is_version_prefix(const std::string& p) {
  bool digit = false;
  for (char c : p) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c == '.' && digit) {
      digit = false;
    } else {
      return false;
    }
  }
  return !p.empty() && (digit || p.back() == '.');
}

bool has_scheme(const std::string& url, std::initializer_list<const char*> schemes) {
  for (const char* s : schemes) {
    std::string_view sv(s);
    if (url.size() > sv.size() && url.compare(0, sv.size(), sv) == 0) return true;
  }
  return false;
}

}  // namespace

const char* update_mode_name(UpdateMode m) { return kModes[static_cast<int>(m)]; }
const char* restart_prompt_name(RestartPrompt p) { return kPrompts[static_cast<int>(p)]; }

const char* SettingSource::kind_name() const {
  switch (kind) {
    case Kind::kDefault:
      return "default";
    case Kind::kConfig:
      return "config";
    case Kind::kPolicy:
      return "policy";
    case Kind::kEnvironment:
      return "environment";
  }
  return "default";
}

std::string SettingSource::describe() const {
  std::string s = kind_name();
  if (!origin.empty()) s += " " + origin;
  if (!note.empty()) s += "; " + note;
  return s;
}

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v || !*v) return std::nullopt;
    return std::string(v);
  };
}

bool version_matches_prefix(std::string_view version, std::string_view prefix) {
  if (prefix.empty()) return true;
  if (version.substr(0, prefix.size()) != prefix) return false;
  if (prefix.back() == '.' || version.size() == prefix.size()) return true;
  char next = version[prefix.size()];
  return next == '.' || next == '-' || next == '+';
}

MirrorList UpdateSettings::repository_sources() const {
  std::vector<std::string> urls{repository_url};
  for (const auto& u : mirror_urls)
    if (u != repository_url) urls.push_back(u);
  return MirrorList(std::move(urls));
}

UpdateSettings::UpdateSettings() {
  for (const auto& k : keys()) sources[k] = SettingSource{};
}

const std::vector<std::string>& UpdateSettings::keys() {
  static const std::vector<std::string> k = {"update_mode",
                                             "check_interval_minutes",
                                             "channel",
                                             "target_version_prefix",
                                             "rollback_to_target_version",
                                             "allow_downgrade",
                                             "quiet_hours",
                                             "restart_prompt",
                                             "restart_deadline_hours",
                                             "repository_url",
                                             "mirrors",
                                             "proxy",
                                             "credentials_file",
                                             "check_on_start_deadline_seconds"};
  return k;
}

void UpdateSettings::set(std::string_view key, const Json& v, const SettingSource& source) {
  SettingSource src = source;
  if (key == "update_mode") {
    mode = enum_of<UpdateMode>(key, v, kModes);
  } else if (key == "check_interval_minutes") {
    const std::string what = "an integer: 0 (no background checks) or " + std::to_string(kCheckIntervalFloor) + ".." +
                             std::to_string(kCheckIntervalMax) + " minutes";
    int64_t n = int_of(key, v, what);
    if (n < 0 || n > kCheckIntervalMax) expected(key, what, v);
    if (n > 0 && n < kCheckIntervalFloor) {
      src.note = "raised from " + std::to_string(n) + " to the floor of " + std::to_string(kCheckIntervalFloor);
      n = kCheckIntervalFloor;
    }
    check_interval_minutes = n;
  } else if (key == "channel") {
    const std::string& s = string_of(key, v, "a channel name such as \"stable\"");
    if (s.empty()) expected(key, "a channel name such as \"stable\"", v);
    channel = s;
  } else if (key == "target_version_prefix") {
    const std::string what = "a version prefix such as \"2.4.\" (digits and dots), or \"\" for any version";
    const std::string& s = string_of(key, v, what);
    if (!s.empty() && !is_version_prefix(s)) expected(key, what, v);
    target_version_prefix = s;
  } else if (key == "rollback_to_target_version") {
    rollback_to_target_version = bool_of(key, v);
  } else if (key == "allow_downgrade") {
    allow_downgrade = bool_of(key, v);
  } else if (key == "quiet_hours") {
    const std::string what = "a local-time window \"HH:MM-HH:MM\" such as \"22:00-06:00\", or \"\" for none";
    const std::string& s = string_of(key, v, what);
    if (s.empty()) {
      quiet_hours.reset();
    } else {
      try {
        quiet_hours = QuietHours::parse(s);
      } catch (const Error& e) {
        fail(ErrorCode::kBadInput, "key 'quiet_hours': " + std::string(e.what()));
      }
    }
  } else if (key == "restart_prompt") {
    restart_prompt = enum_of<RestartPrompt>(key, v, kPrompts);
  } else if (key == "restart_deadline_hours") {
    const std::string what = "an integer number of hours, 1.." + std::to_string(kRestartDeadlineMaxHours);
    int64_t n = int_of(key, v, what);
    if (n < 1 || n > kRestartDeadlineMaxHours) expected(key, what, v);
    restart_deadline_hours = n;
  } else if (key == "check_on_start_deadline_seconds") {
    const std::string what = "an integer number of seconds, 1.." + std::to_string(kCheckOnStartDeadlineMax);
    int64_t n = int_of(key, v, what);
    if (n < 1 || n > kCheckOnStartDeadlineMax) expected(key, what, v);
    check_on_start_deadline_seconds = n;
  } else if (key == "repository_url") {
    const std::string what = "an http://, https://, sftp:// or file:// URL of the repository";
    const std::string& s = string_of(key, v, what);
    if (!MirrorList::is_repository_url(s)) expected(key, what, v);
    repository_url = with_trailing_slash(s);
  } else if (key == "mirrors") {
    mirror_urls = MirrorList::parse(key, v);
  } else if (key == "proxy") {
    const std::string what = "\"direct\" (no proxy) or a proxy URL such as \"http://proxy.example.com:3128\"";
    const std::string& s = string_of(key, v, what);
    if (s != "direct" && !has_scheme(s, {"http://"})) expected(key, what, v);
    proxy = s;
  } else if (key == "credentials_file") {
    const std::string what = "the absolute path of a credentials file, or \"\" for <root>/credentials.json";
    const std::string& s = string_of(key, v, what);
    if (!s.empty() && s.front() != '/') expected(key, what, v);
    credentials_file = s;
  } else {
    std::string list;
    for (const auto& k : keys()) list += (list.empty() ? "" : ", ") + k;
    fail(ErrorCode::kBadInput, "unknown key '" + std::string(key) + "' (expected one of: " + list + ")");
  }
  sources[std::string(key)] = src;
}

Json UpdateSettings::value_of(std::string_view key) const {
  if (key == "update_mode") return update_mode_name(mode);
  if (key == "check_interval_minutes") return check_interval_minutes;
  if (key == "channel") return channel;
  if (key == "target_version_prefix") return target_version_prefix;
  if (key == "rollback_to_target_version") return rollback_to_target_version;
  if (key == "allow_downgrade") return allow_downgrade;
  if (key == "quiet_hours") return quiet_hours ? Json(quiet_hours->to_string()) : Json("");
  if (key == "restart_prompt") return restart_prompt_name(restart_prompt);
  if (key == "restart_deadline_hours") return restart_deadline_hours;
  if (key == "repository_url") return repository_url;
  if (key == "mirrors") {
    Json m = Json::array();
    for (const auto& u : mirror_urls) m.as_array().push_back(u);
    return m;
  }
  if (key == "proxy") return proxy.empty() ? environment_proxy : proxy;
  if (key == "check_on_start_deadline_seconds") return check_on_start_deadline_seconds;
  if (key == "credentials_file") return credentials_file;
  fail(ErrorCode::kNotFound, "no setting '" + std::string(key) + "'");
}

UpdateSettings UpdateSettings::resolve(const Config& config, const std::filesystem::path& config_file,
                                       const SettingsLayer& policy, const EnvLookup& env) {
  UpdateSettings s;
  // The user's config: its own checks already ran (Config::from_json); the floor applies to it too.
  const SettingSource from_config{SettingSource::Kind::kConfig, config_file.string(), ""};
  s.repository_url = with_trailing_slash(config.repository_url);
  s.sources["repository_url"] = from_config;
  if (!config.mirror_urls.empty()) {
    s.mirror_urls = config.mirror_urls;
    s.sources["mirrors"] = from_config;
  }
  // A key counts as the user's when the file named it or (a Config built in code) it differs from the default.
  const Config defaults;
  if (config.keys_in_file.count("channel") || config.channel != defaults.channel) {
    s.channel = config.channel;
    s.sources["channel"] = from_config;
  }
  if (config.keys_in_file.count("check_interval_minutes") ||
      config.check_interval_minutes != defaults.check_interval_minutes) {
    s.check_interval_minutes = config.check_interval_minutes;
    s.sources["check_interval_minutes"] = from_config;
    if (s.check_interval_minutes > 0 && s.check_interval_minutes < kCheckIntervalFloor) {
      s.sources["check_interval_minutes"].note = "raised from " + std::to_string(s.check_interval_minutes) +
                                                 " to the floor of " + std::to_string(kCheckIntervalFloor);
      s.check_interval_minutes = kCheckIntervalFloor;
    }
  }
  if (config.keys_in_file.count("check_on_start_deadline_seconds") ||
      config.check_on_start_deadline_seconds != defaults.check_on_start_deadline_seconds) {
    s.check_on_start_deadline_seconds = config.check_on_start_deadline_seconds;
    s.sources["check_on_start_deadline_seconds"] = from_config;
  }
  policy.apply_to(s);
  if (s.sources["repository_url"].kind == SettingSource::Kind::kPolicy &&
      s.sources["mirrors"].kind != SettingSource::Kind::kPolicy && !s.mirror_urls.empty()) {
    // An administrator's repository replaces the vendor's sources, mirrors included.
    s.mirror_urls.clear();
    s.sources["mirrors"] = s.sources["repository_url"];
    s.sources["mirrors"].note = "config.json's mirrors dropped: the policy names its own repository_url";
  }
  for (const auto& [key, src] : s.sources)
    if (!src.note.empty()) spdlog::warn("{}: {}", key, src.describe());
  if (s.sources["proxy"].kind == SettingSource::Kind::kDefault) {
    // The fetcher reads these itself (no_proxy too); recorded here to show where the proxy comes from.
    bool https = s.repository_url.rfind("https://", 0) == 0;
    static const std::array<const char*, 2> kHttps = {"https_proxy", "HTTPS_PROXY"};
    static const std::array<const char*, 2> kHttp = {"http_proxy", "HTTP_PROXY"};
    for (const char* name : https ? kHttps : kHttp) {
      if (auto v = env(name)) {
        s.environment_proxy = *v;
        s.sources["proxy"] = SettingSource{SettingSource::Kind::kEnvironment, name, ""};
        break;
      }
    }
  }
  return s;
}

bool UpdateSettings::in_quiet_hours(const Clock& clock) const {
  return quiet_hours && quiet_hours->contains(clock.local_minute_of_day());
}

Json UpdateSettings::to_json() const {
  Json out = Json::object();
  for (const auto& k : keys()) {
    const SettingSource& src = sources.at(k);
    Json j = Json::object();
    j["value"] = value_of(k);
    j["source"] = src.kind_name();
    if (!src.origin.empty()) j["origin"] = src.origin;
    if (!src.note.empty()) j["note"] = src.note;
    out[k] = j;
  }
  return out;
}

Json UpdateSettings::policy_json() const {
  Json out = Json::object();
  out["folder"] = policy_folder.string();
  out["folder_source"] = policy_folder_source.describe();
  Json files = Json::array();
  for (const auto& f : policy_files) files.push_back(f);
  out["files"] = files;
  Json errors = Json::array();
  for (const auto& e : policy_errors) {
    Json j = Json::object();
    j["file"] = e.file;
    j["error"] = e.message;
    errors.push_back(j);
  }
  out["errors"] = errors;
  return out;
}

std::string UpdateSettings::apply_refused(std::string_view version, bool user_asked) const {
  const std::string mode_source = " (" + sources.at("update_mode").describe() + ")";
  if (mode == UpdateMode::kDisabled) return "updates are disabled by managed policy" + mode_source;
  if (mode == UpdateMode::kDownloadOnly && !user_asked)
    return "update_mode download_only" + mode_source + ": applied when the user restarts to update";
  if (!version_allowed(version))
    return "it does not match target_version_prefix '" + target_version_prefix + "' (" +
           sources.at("target_version_prefix").describe() + ")";
  return "";
}

}  // namespace upkeep
