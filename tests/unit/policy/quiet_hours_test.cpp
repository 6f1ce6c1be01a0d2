#include "upkeep/policy/quiet_hours.h"

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "upkeep/platform/clock.h"
#include "upkeep/policy/update_settings.h"

using namespace upkeep;
using upkeep::test::error_of;

namespace {
constexpr int at(int h, int m) { return h * 60 + m; }
}  // namespace

TEST_CASE("quiet hours within one day contain their start and stop before their end", "[policy][quiet_hours]") {
  QuietHours q = QuietHours::parse("09:30-17:00");
  CHECK(q.to_string() == "09:30-17:00");
  CHECK_FALSE(q.contains(at(9, 29)));
  CHECK(q.contains(at(9, 30)));
  CHECK(q.contains(at(16, 59)));
  CHECK_FALSE(q.contains(at(17, 0)));
  CHECK(q.minutes_until_end(at(16, 0)) == 60);
  CHECK(q.minutes_until_end(at(18, 0)) == 0);
}

TEST_CASE("quiet hours may cross midnight", "[policy][quiet_hours]") {
  QuietHours q = QuietHours::parse("22:00-06:00");
  CHECK_FALSE(q.contains(at(21, 59)));
  CHECK(q.contains(at(22, 0)));
  CHECK(q.contains(at(23, 59)));
  CHECK(q.contains(at(0, 0)));
  CHECK(q.contains(at(5, 59)));
  CHECK_FALSE(q.contains(at(6, 0)));
  CHECK_FALSE(q.contains(at(12, 0)));
  CHECK(q.minutes_until_end(at(23, 0)) == 7 * 60);
  CHECK(q.minutes_until_end(at(1, 30)) == 4 * 60 + 30);
}

TEST_CASE("a malformed quiet hours window names the text and the expected form", "[policy][quiet_hours]") {
  for (const char* bad : {"22:00", "22-06", "24:00-06:00", "22:60-06:00", "2:00-06:00", "22:00-06:00x", "",
                          "22:00-22:00", "aa:bb-cc:dd"}) {
    INFO(bad);
    std::string msg = error_of([&] { QuietHours::parse(bad); }, ErrorCode::kBadInput);
    CHECK_THAT(msg, Catch::Contains("'" + std::string(bad) + "'") && Catch::Contains("HH:MM-HH:MM"));
  }
  CHECK_THAT(error_of([&] { QuietHours::parse("22:00-22:00"); }, ErrorCode::kBadInput),
             Catch::Contains("start and end must differ"));
}

TEST_CASE("the settings' quiet hours are read from the clock they are given", "[policy][quiet_hours]") {
  UpdateSettings s;
  CHECK_FALSE(s.in_quiet_hours(FixedClock(at(23, 0))));  // none set
  s.set("quiet_hours", Json("22:00-06:00"), {});
  CHECK(s.in_quiet_hours(FixedClock(at(23, 0))));
  CHECK(s.in_quiet_hours(FixedClock(at(3, 0))));
  CHECK_FALSE(s.in_quiet_hours(FixedClock(at(7, 0))));
  int now = SystemClock().local_minute_of_day();
  CHECK(now >= 0);
  CHECK(now < 24 * 60);
}
