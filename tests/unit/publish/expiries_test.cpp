#include "upkeep/publish/expiries.h"

#include <catch2/catch.hpp>

#include "expect_error.h"

using namespace upkeep;
using namespace upkeep::test;
using namespace std::chrono;
using publish::Expiries;

TEST_CASE("expiry durations parse days and hours", "[vendor]") {
  CHECK(publish::parse_duration("30", "x") == hours(24 * 30));
  CHECK(publish::parse_duration("30d", "x") == hours(24 * 30));
  CHECK(publish::parse_duration("12h", "x") == hours(12));
  for (const char* bad : {"", "d", "0", "-1", "1.5", "12m", "99999999d", "1 d"}) {
    INFO(bad);
    CHECK(error_of([&] { publish::parse_duration(bad, "--expires root"); }, ErrorCode::kUsage) ==
          std::string("--expires root: '") + bad +
              "' is not a duration (expected days like 30 or 30d, or hours like 12h, at most 10 years)");
  }
  CHECK(publish::format_duration(hours(48)) == "2d");
  CHECK(publish::format_duration(hours(6)) == "6h");
}

TEST_CASE("expiry overrides apply per role and round-trip through JSON", "[vendor]") {
  Expiries e = publish::apply_expiry_overrides("timestamp=6h,snapshot=14d", {});
  CHECK(e.timestamp == hours(6));
  CHECK(e.snapshot == hours(24 * 14));
  CHECK(e.root == hours(24 * 365));
  CHECK(e.targets == hours(24 * 90));
  Expiries back = publish::expiries_from_json(publish::expiries_to_json(e), "vendor.json");
  CHECK(back.timestamp == e.timestamp);
  CHECK(back.snapshot == e.snapshot);
  CHECK(back.root == e.root);

  CHECK(error_of([] { publish::apply_expiry_overrides("mirror=1d", {}); }, ErrorCode::kUsage) ==
        "unknown role 'mirror' (expected root, targets, snapshot or timestamp)");
  CHECK(error_of([] { publish::apply_expiry_overrides("timestamp", {}); }, ErrorCode::kUsage) ==
        "--expires: 'timestamp' is not ROLE=DURATION (e.g. timestamp=12h)");
  CHECK(error_of([] { publish::expiries_from_json(Json::parse(R"({"root":7})"), "v.json"); }, ErrorCode::kBadInput) ==
        "v.json: expires.root must be a string like \"30d\" or \"12h\"");
}
