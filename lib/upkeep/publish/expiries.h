// Expiries: how long freshly signed metadata of each top-level role stays
// valid, and its text forms.
//
// Durations are written "N" or "Nd" (days) or "Nh" (hours), e.g. "365d",
// "12h". The vendor sets them per role on the command line
// (`--expires timestamp=12h,snapshot=14d`, repeatable) or in the key
// folder's vendor.json {"expires": {"timestamp": "12h", ...}}; the command
// line wins over vendor.json, which wins over the defaults below. Plain
// values: use from any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "upkeep/base/json.h"

namespace upkeep::publish {

struct Expiries {
  std::chrono::seconds root = std::chrono::hours(24 * 365);
  std::chrono::seconds targets = std::chrono::hours(24 * 90);
  std::chrono::seconds snapshot = std::chrono::hours(24 * 7);
  std::chrono::seconds timestamp = std::chrono::hours(24);

  // The duration of a top-level role; Error(kUsage) naming an unknown role.
  std::chrono::seconds& of(std::string_view role);
  std::chrono::seconds of(std::string_view role) const;
};

// "N", "Nd" or "Nh" with 1 <= duration <= 10 years; Error(kUsage)
// "<what>: '<text>' is not a duration (expected days like 30 or 30d, or hours like 12h)".
std::chrono::seconds parse_duration(std::string_view text, std::string_view what);
// "30d" when whole days, else "12h" (whole hours), else seconds "90s".
std::string format_duration(std::chrono::seconds d);

// Applies "ROLE=DURATION[,ROLE=DURATION...]" onto `base`; Error(kUsage)
// naming the part that is not ROLE=DURATION or names no top-level role.
Expiries apply_expiry_overrides(std::string_view text, Expiries base);

// {"root":"365d","snapshot":"7d","targets":"90d","timestamp":"1d"}
Json expiries_to_json(const Expiries& e);
// Reads the object written by expiries_to_json onto `base` (missing roles keep
// their base value); Error(kBadInput) naming `what` and the role.
Expiries expiries_from_json(const Json& j, std::string_view what, Expiries base = {});

}  // namespace upkeep::publish
