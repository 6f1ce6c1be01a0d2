#include "upkeep/policy/quiet_hours.h"

#include <cstdio>

#include "upkeep/base/error.h"

namespace upkeep {
namespace {

constexpr int kMinutesPerDay = 24 * 60;

// "HH:MM" with 00 <= HH <= 23 and 00 <= MM <= 59, two digits each; -1 otherwise.
int parse_time(std::string_view t) {
  if (t.size() != 5 || t[2] != ':') return -1;
  for (size_t i : {0u, 1u, 3u, 4u})
    if (t[i] < '0' || t[i] > '9') return -1;
  int h = (t[0] - '0') * 10 + (t[1] - '0');
  int m = (t[3] - '0') * 10 + (t[4] - '0');
  if (h > 23 || m > 59) return -1;
  return h * 60 + m;
}

}  // namespace

QuietHours QuietHours::parse(std::string_view text) {
  const std::string expected = " (expected a local-time window \"HH:MM-HH:MM\" such as \"22:00-06:00\")";
  auto dash = text.find('-');
  if (dash == std::string_view::npos)
    fail(ErrorCode::kBadInput, "'" + std::string(text) + "' is not a time window" + expected);
  int start = parse_time(text.substr(0, dash));
  int end = parse_time(text.substr(dash + 1));
  if (start < 0 || end < 0) fail(ErrorCode::kBadInput, "'" + std::string(text) + "' is not a time window" + expected);
  if (start == end)
    fail(ErrorCode::kBadInput,
         "'" + std::string(text) + "' is an empty time window: start and end must differ" + expected);
  return QuietHours(start, end);
}

bool QuietHours::contains(int minute) const {
  if (start_ < end_) return minute >= start_ && minute < end_;
  return minute >= start_ || minute < end_;  // crosses midnight
}

int QuietHours::minutes_until_end(int minute) const {
  if (!contains(minute)) return 0;
  return ((end_ - minute) % kMinutesPerDay + kMinutesPerDay) % kMinutesPerDay;
}

std::string QuietHours::to_string() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d-%02d:%02d", start_ / 60, start_ % 60, end_ / 60, end_ % 60);
  return buf;
}

}  // namespace upkeep
