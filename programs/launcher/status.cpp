// launcher --upkeep-status: what is installed, what is pending, what happened.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <optional>
#include <vector>

#include "launcher.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/base/version.h"
#include "upkeep/hooks/release_hooks.h"
#include "upkeep/install/state_store.h"
#include "upkeep/policy/managed_policy.h"

namespace upkeep {
namespace {

std::string iso_time(int64_t t) {
  char buf[32];
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Newest first by version precedence (SemVer), never by row order; a name
// that is no version goes last.
std::vector<VersionRecord> newest_first(std::vector<VersionRecord> rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const VersionRecord& a, const VersionRecord& b) {
    const auto va = Version::parse(a.version), vb = Version::parse(b.version);
    if (va && vb) return va->compare(*vb) > 0;
    if (va || vb) return va.has_value();
    return a.version > b.version;
  });
  return rows;
}

// Why a version is in its state, for people: what it means for this install now.
std::string why(const VersionRecord& r, const std::optional<std::string>& current,
                const std::optional<std::string>& rollback_target) {
  const bool is_current = current && *current == r.version;
  switch (r.state) {
    case VersionState::kTrial:
      return is_current ? "running on trial: its next start must be healthy (" + std::to_string(r.attempts) +
                              " start(s) so far)"
                        : "on trial, but not current";
    case VersionState::kGood:
      if (is_current) return "current";
      if (rollback_target && *rollback_target == r.version) return "kept to roll back to";
      return r.reason.empty() ? "installed, not current" : r.reason;
    case VersionState::kStaged:
      return "downloaded and verified: applied at the application's next start";
    case VersionState::kBad:
      return r.reason.empty() ? "failed its trial: never offered again" : r.reason + ": never offered again";
    case VersionState::kRemoved:
      return r.reason.empty() ? "removed (its folder was cleaned up)" : r.reason;
    case VersionState::kQuarantined:
      return r.reason.empty() ? "quarantined: never tried again" : r.reason;
    case VersionState::kSkipped:
      return "skipped by the user: never offered again";
  }
  return r.reason;
}

// The JSON form, piece by piece, in the order --json prints it.
void add_versions(const Layout& layout, const StateStore& store, Json& out) {
  Json versions = Json::array();
  Json staged = Json::array();
  Json bad = Json::array();
  Json quarantined = Json::array();
  const auto current = layout.current_version();
  std::optional<std::string> rollback_target;
  if (current)
    if (auto r = store.get(*current); r && !r->previous.empty()) rollback_target = r->previous;
  for (const auto& r : newest_first(store.all())) {
    Json v = Json::object();
    v["version"] = r.version;
    v["state"] = version_state_name(r.state);
    v["why"] = why(r, current, rollback_target);
    v["current"] = current && *current == r.version;
    v["updated_at"] = iso_time(r.updated_at);
    if (!r.reason.empty()) v["reason"] = r.reason;
    if (!r.previous.empty()) v["previous"] = r.previous;
    versions.push_back(v);
    if (r.state == VersionState::kStaged) staged.push_back(r.version);
    if (r.state == VersionState::kBad) bad.push_back(r.version);
    if (r.state == VersionState::kQuarantined) quarantined.push_back(r.version);
  }
  out["versions"] = versions;
  out["staged"] = staged;
  out["bad"] = bad;
  out["quarantined"] = quarantined;
}

// Failed tries of updates not (yet) applied; quarantine.h says what counts.
Json failures_json(const StateStore& store) {
  Json failures = Json::array();
  for (const auto& f : store.failures()) {
    Json j = Json::object();
    j["version"] = f.version;
    j["count"] = static_cast<int64_t>(f.count);
    j["last_error"] = f.last_error;
    j["updated_at"] = iso_time(f.updated_at);
    failures.push_back(j);
  }
  return failures;
}

Json events_json(const StateStore& store) {
  Json events = Json::array();
  for (const auto& e : store.events(10)) {
    Json ev = Json::object();
    ev["at"] = iso_time(e.at);
    ev["kind"] = e.kind;
    ev["version"] = e.version;
    if (!e.detail.empty()) ev["detail"] = e.detail;
    events.push_back(ev);
  }
  return events;
}

// The effective update settings and where each came from (docs/admin-guide.md
// "Managed policy"); for a damaged config.json, "config_error" and updates
// off until repaired, with the settings salvaged from it.
void add_settings(const Layout& layout, Json& out) {
  try {
    Config::Loaded loaded = Config::load_or_salvage(layout.config_file(), layout.root().filename().string());
    if (loaded.damaged()) {
      out["config_error"] = loaded.damage;
      out["updates"] = Config::Loaded::updates_off(layout.root());
    }
    Json unknown = Json::array();
    for (const auto& k : loaded.config.unknown_keys) unknown.push_back(k);
    out["config_unknown_keys"] = unknown;
    UpdateSettings settings = ManagedPolicy::effective_settings(layout, loaded.config);
    out["settings"] = settings.to_json();
    out["policy"] = settings.policy_json();
  } catch (const Error& e) {
    out["settings_error"] = std::string(e.what());
  }
}

// `store` is null when state.db is damaged (`state_error` says why; the
// next writer rebuilds it, state_recovery.h).
Json status_json(const Layout& layout, const StateStore* store, const std::string& state_error) {
  auto current = layout.current_version();
  Json out = Json::object();
  out["root"] = layout.root().string();
  out["current"] = current ? Json(*current) : Json(nullptr);
  if (store) {
    add_versions(layout, *store, out);
    out["failures"] = failures_json(*store);
    out["events"] = events_json(*store);
    Json hooks = Json::array();
    for (const auto& h : store->hook_runs()) hooks.push_back(hook_run_to_json(h));
    out["hooks"] = hooks;
    out["pending"] = store->has_pending_work();
  } else {
    for (const char* k : {"versions", "staged", "bad", "quarantined", "failures", "events", "hooks"})
      out[k] = Json::array();
    out["pending"] = false;
    out["state_error"] = state_error;
  }
  add_settings(layout, out);
  return out;
}

// The text form, printed from the JSON one so that both say the same.
void print_versions(const Json& out) {
  std::printf("install root: %s\n", out.get_string("root").c_str());
  std::printf("current:      %s\n", out.at("current").is_string() ? out.get_string("current").c_str() : "(none)");
  if (out.contains("state_error"))
    std::printf(
        "state.db:     DAMAGED (%s); the next start of the application, update check or `upkeep repair` "
        "sets it aside and rebuilds it\n",
        out.get_string("state_error").c_str());
  if (!out.get_array("versions").empty()) std::printf("versions (newest first):\n");
  for (const auto& v : out.get_array("versions"))
    std::printf("  %s  %-11s  %s\n", v.get_string("version").c_str(), v.get_string("state").c_str(),
                v.get_string("why").c_str());
}

void print_failures_and_hooks(const Json& out) {
  if (!out.get_array("failures").empty()) std::printf("failed update tries:\n");
  for (const auto& f : out.get_array("failures"))
    std::printf("  %s  %lld  (last: %s)\n", f.get_string("version").c_str(), static_cast<long long>(f.get_int("count")),
                f.get_string("last_error").c_str());
  if (!out.get_array("hooks").empty()) std::printf("release hooks:\n");
  for (const auto& h : out.get_array("hooks"))
    std::printf("  %s  %-9s %-10s %s (%s)\n", h.get_string("version").c_str(), h.get_string("kind").c_str(),
                h.get_string("state").c_str(), h.get_string("path").c_str(), h.get_string("detail").c_str());
}

void print_settings(const Json& out) {
  if (out.contains("config_error"))
    std::printf("config.json:  DAMAGED (%s)\nupdates:      %s\n", out.get_string("config_error").c_str(),
                out.get_string("updates").c_str());
  for (const auto& k : out.get_array("config_unknown_keys"))
    std::printf("config.json:  unknown key '%s' ignored (written by a newer version?)\n", k.as_string().c_str());
  if (out.contains("settings_error") && !out.get_string("settings_error").empty())
    std::printf("settings: cannot read them: %s\n", out.get_string("settings_error").c_str());
  if (!out.contains("settings")) return;
  std::printf("settings:\n");
  for (const auto& key : UpdateSettings::keys()) {
    const Json& v = out.at("settings").at(key);
    const Json& value = v.at("value");
    std::string shown = value.is_string() ? "\"" + value.as_string() + "\"" : value.dump(0);
    std::string from = v.get_string("source");
    if (v.contains("origin")) from += " " + v.get_string("origin");
    if (v.contains("note")) from += "; " + v.get_string("note");
    std::printf("  %-31s %-22s (%s)\n", key.c_str(), shown.c_str(), from.c_str());
  }
  const Json& policy = out.at("policy");
  std::printf("managed policy folder: %s (%s)\n", policy.get_string("folder").c_str(),
              policy.get_string("folder_source").c_str());
  for (const auto& f : policy.get_array("files")) std::printf("  applied  %s\n", f.as_string().c_str());
  for (const auto& e : policy.get_array("errors")) std::printf("  REJECTED %s\n", e.get_string("error").c_str());
}

void print_events(const Json& out) {
  std::printf("recent events:\n");
  for (const auto& e : out.get_array("events"))
    std::printf("  %s  %-12s %s %s\n", e.get_string("at").c_str(), e.get_string("kind").c_str(),
                e.get_string("version").c_str(), e.get_string_or("detail", "").c_str());
}

}  // namespace

std::optional<StateStore> open_to_read(const Layout& layout, std::string& damage) {
  std::optional<StateStore> store;
  damage = "it is missing";
  std::error_code ec;
  if (!std::filesystem::exists(layout.state_db(), ec)) return store;
  try {
    store.emplace(layout.state_db(), StateStore::Mode::kReadOnly);
    damage = store->integrity_check();
    if (damage == "ok") damage = store->meta("schema_version") ? "" : "it holds no tables (empty)";
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kPermission || e.code() == ErrorCode::kLockTimeout) throw;
    damage = e.what();
  }
  if (!damage.empty()) store.reset();
  return store;
}

int print_status(const Layout& layout, bool json) {
  std::error_code ec;
  if (!std::filesystem::exists(layout.state_db(), ec) && !std::filesystem::exists(layout.config_file(), ec)) {
    if (ec == std::errc::permission_denied)
      fail(ErrorCode::kPermission, "cannot look into " + layout.root().string() + ": permission denied");
    fail(ErrorCode::kNotFound, layout.root().string() + " is not an install root (no state.db)");
  }
  // Read-only throughout: a damaged state.db is reported, and set aside by the next writer (state_recovery.h).
  std::string state_error;
  std::optional<StateStore> store = open_to_read(layout, state_error);
  Json out = status_json(layout, store ? &*store : nullptr, state_error);
  if (json) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  print_versions(out);
  print_failures_and_hooks(out);
  print_settings(out);
  print_events(out);
  return 0;
}

}  // namespace upkeep
