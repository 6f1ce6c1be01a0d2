#include "upkeep/repository/release_facts.h"

#include "upkeep/base/error.h"

namespace upkeep {

namespace {

constexpr const char* kAppId = "app_id";
constexpr const char* kVersion = "version";
constexpr const char* kChannel = "channel";
constexpr const char* kPlatform = "platform";
constexpr const char* kNotes = "notes";
constexpr const char* kCritical = "critical";
constexpr const char* kRollout = "rollout";
constexpr const char* kDesktop = "desktop";
constexpr const char* kManifest = "manifest";
constexpr const char* kReleased = "released";
constexpr const char* kDelta = "delta";
constexpr const char* kModules = "modules";

std::map<std::string, std::string> read_modules(const Json& c) {
  std::map<std::string, std::string> modules;
  const Json* m = c.find(kModules);
  if (!m) return modules;
  auto bad = [] {
    fail(ErrorCode::kBadInput, std::string("field '") + kModules + "' must be an object of version strings by path");
  };
  if (!m->is_object()) bad();
  for (const auto& [path, version] : m->as_object()) {
    if (!version.is_string()) bad();
    modules.emplace(path, version.as_string());
  }
  return modules;
}

// The fields both readers treat alike: optional, with their defaults.
void read_optional(const Json& c, ReleaseFacts& f) {
  f.channel = c.get_string_or(kChannel, f.channel);
  f.notes = c.get_string_or(kNotes, "");
  f.critical = c.get_bool_or(kCritical, false);
  f.rollout = c.get_int_or(kRollout, 100);
  if (const Json* d = c.find(kDesktop)) f.desktop = *d;
  f.released = c.get_string_or(kReleased, "");
  f.delta = c.get_string_or(kDelta, "");
  f.modules = read_modules(c);
}

}  // namespace

Json ReleaseFacts::to_json() const {
  Json c = Json::object();
  write_into(c);
  return c;
}

void ReleaseFacts::write_into(Json& c) const {
  c[kAppId] = app_id;
  c[kVersion] = version;
  c[kChannel] = channel;
  c[kPlatform] = platform;
  c[kNotes] = notes;
  c[kCritical] = critical;
  c[kRollout] = rollout;
  if (!desktop.is_null()) c[kDesktop] = desktop;
  c[kManifest] = manifest;
  if (!released.empty()) c[kReleased] = released;
  if (!delta.empty()) c[kDelta] = delta;  // how a client finds it
  if (!modules.empty()) {
    Json m = Json::object();
    for (const auto& [path, version] : modules) m[path] = version;
    c[kModules] = std::move(m);
  }
}

ReleaseFacts ReleaseFacts::from_json(const Json& c) {
  ReleaseFacts f;
  f.app_id = c.get_string(kAppId);
  f.platform = c.get_string(kPlatform);
  f.version = c.get_string(kVersion);
  f.manifest = c.get_string(kManifest);
  read_optional(c, f);
  return f;
}

ReleaseFacts ReleaseFacts::read(const Json& c) {
  ReleaseFacts f;
  if (!c.is_object()) return f;
  f.app_id = c.get_string_or(kAppId, "");
  f.platform = c.get_string_or(kPlatform, "");
  f.version = c.get_string_or(kVersion, "");
  f.manifest = c.get_string_or(kManifest, "");
  read_optional(c, f);
  return f;
}

bool ReleaseFacts::names_release(const Json& c) {
  return c.is_object() && c.contains(kVersion) && c.contains(kManifest);
}

std::optional<std::string> ReleaseFacts::app_id_in(const Json& c) {
  const Json* id = c.is_object() ? c.find(kAppId) : nullptr;
  if (!id || !id->is_string()) return std::nullopt;
  return id->as_string();
}

}  // namespace upkeep
