#include "upkeep/policy/config.h"

#include <spdlog/spdlog.h>

#include <set>

#include "upkeep/base/error.h"
#include "upkeep/install/state_store.h"
#include "upkeep/platform/build_platform.h"
#include "upkeep/platform/fs.h"
#include "upkeep/policy/mirror_list.h"

namespace upkeep {

Config Config::load(const std::filesystem::path& file) {
  std::string text = fs::read_file(file, 1 << 20);
  Config c = from_json(Json::parse(text, file.string()), file.string());
  for (const auto& k : c.unknown_keys)
    spdlog::warn("{}: unknown key '{}' ignored (written by a newer version?)", file.string(), k);
  return c;
}

std::string Config::Loaded::updates_off(const std::filesystem::path& root) {
  return "updates are off until `upkeep repair --prefix " + root.string() + "` rewrites config.json";
}

Config::Loaded Config::load_or_salvage(const std::filesystem::path& file, const std::string& app_id) {
  Loaded out;
  try {
    out.config = load(file);
    return out;
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kPermission) throw;  // not damage: this user may not read it
    out.damage = e.what();
  } catch (const std::exception& e) {
    out.damage = e.what();
  }
  Config base;
  base.app_id = app_id;
  base.platform = build_platform();
  std::vector<std::string> dropped;
  try {
    out.config = salvage(Json::parse(fs::read_file(file, 1 << 20), file.string()), base, dropped);
  } catch (const std::exception&) {
    out.config = base;  // nothing of it can be read
  }
  if (out.config.app_id.empty()) out.config.app_id = app_id;
  return out;
}

Config Config::salvage(const Json& j, Config base, std::vector<std::string>& dropped) {
  if (!j.is_object()) return base;
  Json good = base.to_json();
  for (const auto& [k, v] : j.as_object()) {
    Json trial = good;
    trial[k] = v;
    try {
      from_json(trial, "");
      good = trial;
    } catch (const Error& e) {
      dropped.push_back(k + ":" + std::string(e.what()));
    }
  }
  Config c = from_json(good, "");
  c.keys_in_file.clear();
  for (const auto& [k, v] : j.as_object())
    if (good.contains(k) && good.at(k) == v) c.keys_in_file.insert(k);
  return c;
}

Config Config::from_json(const Json& j, const std::string& what) {
  static const std::set<std::string, std::less<>> known = {"app_id",
                                                           "repository",
                                                           "mirrors",
                                                           "channel",
                                                           "platform",
                                                           "main_program",
                                                           "check_interval_minutes",
                                                           "check_on_start",
                                                           "trial_timeout_seconds",
                                                           "headless",
                                                           "max_update_failures",
                                                           "delta_updates",
                                                           "check_on_start_deadline_seconds",
                                                           "handover_ready_timeout_seconds",
                                                           "min_transfer_rate",
                                                           "min_transfer_rate_seconds"};
  try {
    if (!j.is_object()) fail(ErrorCode::kBadInput, "expected an object at the top level");
    Config c;
    for (const auto& [k, v] : j.as_object()) {
      if (known.count(k))
        c.keys_in_file.insert(k);
      else
        c.unknown_keys.push_back(k);
    }
    c.app_id = j.get_string("app_id");
    c.repository_url = j.get_string("repository");
    if (const Json* m = j.find("mirrors")) c.mirror_urls = MirrorList::parse("mirrors", *m);
    c.channel = j.get_string_or("channel", c.channel);
    c.platform = j.get_string_or("platform", build_platform());
    c.main_program = j.get_string_or("main_program", c.main_program);
    c.check_interval_minutes = j.get_int_or("check_interval_minutes", c.check_interval_minutes);
    c.check_on_start = j.get_bool_or("check_on_start", c.check_on_start);
    c.check_on_start_deadline_seconds =
        j.get_int_or("check_on_start_deadline_seconds", c.check_on_start_deadline_seconds);
    c.trial_timeout_seconds = j.get_int_or("trial_timeout_seconds", c.trial_timeout_seconds);
    c.handover_ready_timeout_seconds = j.get_int_or("handover_ready_timeout_seconds", c.handover_ready_timeout_seconds);
    c.headless = j.get_bool_or("headless", c.headless);
    c.max_update_failures = j.get_int_or("max_update_failures", c.max_update_failures);
    c.delta_updates = j.get_bool_or("delta_updates", c.delta_updates);
    c.min_transfer_rate = j.get_int_or("min_transfer_rate", c.min_transfer_rate);
    c.min_transfer_rate_seconds = j.get_int_or("min_transfer_rate_seconds", c.min_transfer_rate_seconds);
    if (c.app_id.empty()) fail(ErrorCode::kBadInput, "field 'app_id' must not be empty");
    if (c.check_interval_minutes < 0) fail(ErrorCode::kBadInput, "field 'check_interval_minutes' must be 0 or more");
    if (c.trial_timeout_seconds < 1) fail(ErrorCode::kBadInput, "field 'trial_timeout_seconds' must be at least 1");
    if (c.check_on_start_deadline_seconds < 1 || c.check_on_start_deadline_seconds > 600)
      fail(ErrorCode::kBadInput, "field 'check_on_start_deadline_seconds' must be 1..600");
    if (c.handover_ready_timeout_seconds < 1 || c.handover_ready_timeout_seconds > 3600)
      fail(ErrorCode::kBadInput, "field 'handover_ready_timeout_seconds' must be 1..3600");
    if (c.min_transfer_rate < 1) fail(ErrorCode::kBadInput, "field 'min_transfer_rate' must be at least 1 (bytes/s)");
    if (c.min_transfer_rate_seconds < 1 || c.min_transfer_rate_seconds > 3600)
      fail(ErrorCode::kBadInput, "field 'min_transfer_rate_seconds' must be 1..3600");
    if (c.max_update_failures < 1) fail(ErrorCode::kBadInput, "field 'max_update_failures' must be at least 1");
    if (!c.repository_url.empty() && c.repository_url.back() != '/') c.repository_url += '/';
    return c;
  } catch (const Error& e) {
    fail_again(e, what + ": " + e.what());
  }
}

Json Config::to_json() const {
  Json j = Json::object();
  j["app_id"] = app_id;
  j["repository"] = repository_url;
  if (!mirror_urls.empty()) {  // only when set: files without mirrors stay as they were
    Json m = Json::array();
    for (const auto& u : mirror_urls) m.as_array().push_back(u);
    j["mirrors"] = m;
  }
  j["platform"] = platform;
  j["main_program"] = main_program;
  // A setting only when the file named it or it is not the default: an install
  // writes no defaults, so they stay defaults (`--upkeep-status` says so, and a
  // later upkeep's default applies to them).
  const Config d;
  auto put = [&](const char* key, const auto& value, const auto& default_value) {
    if (keys_in_file.count(key) || value != default_value) j[key] = value;
  };
  put("channel", channel, d.channel);
  put("check_interval_minutes", check_interval_minutes, d.check_interval_minutes);
  put("check_on_start", check_on_start, d.check_on_start);
  put("check_on_start_deadline_seconds", check_on_start_deadline_seconds, d.check_on_start_deadline_seconds);
  put("trial_timeout_seconds", trial_timeout_seconds, d.trial_timeout_seconds);
  put("handover_ready_timeout_seconds", handover_ready_timeout_seconds, d.handover_ready_timeout_seconds);
  put("headless", headless, d.headless);
  put("max_update_failures", max_update_failures, d.max_update_failures);
  put("delta_updates", delta_updates, d.delta_updates);
  put("min_transfer_rate", min_transfer_rate, d.min_transfer_rate);
  put("min_transfer_rate_seconds", min_transfer_rate_seconds, d.min_transfer_rate_seconds);
  return j;
}

namespace {
constexpr const char* kMetaKey = "config";
}

void Config::remember(StateStore& store, const Config& config) {
  const std::string text = config.to_json().dump();
  if (store.meta(kMetaKey) != text) store.set_meta(kMetaKey, text);
}

std::optional<Json> Config::remembered(const StateStore& store) {
  auto text = store.meta(kMetaKey);
  if (!text) return std::nullopt;
  try {
    return Json::parse(*text, "state.db meta 'config'");
  } catch (const Error&) {
    return std::nullopt;
  }
}

void Config::save(const std::filesystem::path& file) const { fs::write_file_atomic(file, to_json().dump() + "\n"); }

}  // namespace upkeep
