#include "upkeep/publish/expiries.h"

#include <charconv>

#include "upkeep/base/error.h"
#include "upkeep/tuf/metadata.h"

namespace upkeep::publish {
namespace {

constexpr int64_t kMaxSeconds = int64_t{10} * 366 * 24 * 3600;

[[noreturn]] void unknown_role(std::string_view role) {
  fail(ErrorCode::kUsage, "unknown role '" + std::string(role) + "' (expected root, targets, snapshot or timestamp)");
}

}  // namespace

std::chrono::seconds& Expiries::of(std::string_view role) {
  if (role == tuf::kRootRole) return root;
  if (role == tuf::kTargetsRole) return targets;
  if (role == tuf::kSnapshotRole) return snapshot;
  if (role == tuf::kTimestampRole) return timestamp;
  unknown_role(role);
}

std::chrono::seconds Expiries::of(std::string_view role) const { return const_cast<Expiries*>(this)->of(role); }

std::chrono::seconds parse_duration(std::string_view text, std::string_view what) {
  int64_t unit = 24 * 3600;
  std::string_view digits = text;
  if (!digits.empty() && (digits.back() == 'd' || digits.back() == 'h')) {
    if (digits.back() == 'h') unit = 3600;
    digits.remove_suffix(1);
  }
  int64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || n < 1 || n > kMaxSeconds / unit)
    fail(ErrorCode::kUsage, std::string(what) + ": '" + std::string(text) +
                                "' is not a duration (expected days like 30 or 30d, or hours like 12h, "
                                "at most 10 years)");
  return std::chrono::seconds(n * unit);
}

std::string format_duration(std::chrono::seconds d) {
  int64_t s = d.count();
  if (s % (24 * 3600) == 0) return std::to_string(s / (24 * 3600)) + "d";
  if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
  return std::to_string(s) + "s";
}

Expiries apply_expiry_overrides(std::string_view text, Expiries base) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view part =
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos)
      fail(ErrorCode::kUsage, "--expires: '" + std::string(part) + "' is not ROLE=DURATION (e.g. timestamp=12h)");
    std::string_view role = part.substr(0, eq);
    base.of(role) = parse_duration(part.substr(eq + 1), "--expires " + std::string(role));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return base;
}

Json expiries_to_json(const Expiries& e) {
  Json j = Json::object();
  for (const char* role : tuf::kTopLevelRoles) j[role] = format_duration(e.of(role));
  return j;
}

Expiries expiries_from_json(const Json& j, std::string_view what, Expiries base) {
  if (!j.is_object()) fail(ErrorCode::kBadInput, std::string(what) + ": 'expires' must be an object");
  for (const auto& [role, value] : j.as_object()) {
    bool known = false;
    for (const char* r : tuf::kTopLevelRoles) known = known || role == r;
    if (!known || !value.is_string())
      fail(ErrorCode::kBadInput, std::string(what) + ": expires." + role +
                                     (known ? " must be a string like \"30d\" or \"12h\""
                                            : " is not a role (expected root, targets, snapshot or timestamp)"));
    try {
      base.of(role) = parse_duration(value.as_string(), std::string(what) + ": expires." + role);
    } catch (const Error& e) {
      fail(ErrorCode::kBadInput, e.what());
    }
  }
  return base;
}

}  // namespace upkeep::publish
