#include "upkeep/repository/release_facts.h"

#include <catch2/catch.hpp>

using upkeep::Error;
using upkeep::ErrorCode;
using upkeep::Json;
using upkeep::ReleaseFacts;

namespace {

// The message the reader throws for `custom`, or "" when it does not throw.
template <typename Reader>
std::string error_of(Reader read, const char* custom) {
  try {
    read(Json::parse(custom));
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kBadInput);
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("release facts round-trip through the package target's custom object", "[release_facts]") {
  ReleaseFacts f{.app_id = "com.example.app",
                 .version = "1.2.0",
                 .channel = "beta",
                 .platform = "linux-x86_64",
                 .notes = "fixes",
                 .critical = true,
                 .rollout = 25,
                 .desktop = Json::parse(R"({"name": "Example"})"),
                 .manifest = "com.example.app/1.2.0/linux-x86_64/files.json",
                 .released = "2026-01-02T03:04:05Z",
                 .delta = "com.example.app/1.2.0/linux-x86_64/delta.zst"};
  const Json j = f.to_json();
  CHECK(
      j.dump_canonical() ==
      R"({"app_id":"com.example.app","channel":"beta","critical":true,"delta":"com.example.app/1.2.0/linux-x86_64/delta.zst",)"
      R"("desktop":{"name":"Example"},"manifest":"com.example.app/1.2.0/linux-x86_64/files.json","notes":"fixes",)"
      R"("platform":"linux-x86_64","released":"2026-01-02T03:04:05Z","rollout":25,"version":"1.2.0"})");
  for (const ReleaseFacts& back : {ReleaseFacts::from_json(j), ReleaseFacts::read(j)}) {
    CHECK(back.to_json() == j);
    CHECK(back.rollout == 25);
    CHECK(back.critical);
  }
}

TEST_CASE("release facts leave out what is not set", "[release_facts]") {
  ReleaseFacts f{.app_id = "a", .version = "1.0.0", .platform = "p", .manifest = "a/1.0.0/p/files.json"};
  const Json j = f.to_json();
  CHECK_FALSE(j.contains("desktop"));
  CHECK_FALSE(j.contains("delta"));
  CHECK_FALSE(j.contains("released"));
  CHECK_FALSE(j.contains("modules"));
  CHECK(j.get_string("channel") == "stable");
  CHECK(j.get_int("rollout") == 100);
}

TEST_CASE("the strict reader requires the facts a client selects by, the rest default", "[release_facts]") {
  auto strict = [](const Json& j) { return ReleaseFacts::from_json(j); };
  CHECK(error_of(strict, R"({"platform": "p", "version": "1", "manifest": "m"})") == "missing field 'app_id'");
  CHECK(error_of(strict, R"({"app_id": "a", "platform": 7, "version": "1", "manifest": "m"})") ==
        "field 'platform' must be a string, found an integer");
  CHECK(error_of(strict, R"({"app_id": "a", "platform": "p", "version": "1"})") == "missing field 'manifest'");
  CHECK(error_of(strict, R"({"app_id": "a", "platform": "p", "version": "1", "manifest": "m", "rollout": "5"})") ==
        "field 'rollout' must be an integer, found a string");
  CHECK(error_of(strict, R"({"app_id": "a", "platform": "p", "version": "1", "manifest": "m", "delta": 1})") ==
        "field 'delta' must be a string, found an integer");
  const ReleaseFacts f =
      ReleaseFacts::from_json(Json::parse(R"({"app_id": "a", "platform": "p", "version": "1", "manifest": "m"})"));
  CHECK(f.channel == "stable");
  CHECK(f.notes.empty());
  CHECK_FALSE(f.critical);
  CHECK(f.rollout == 100);
  CHECK(f.desktop.is_null());
  CHECK(f.delta.empty());
}

TEST_CASE("the lenient reader defaults every field but still refuses wrong types", "[release_facts]") {
  const ReleaseFacts none = ReleaseFacts::read(Json());
  CHECK(none.app_id.empty());
  CHECK(none.manifest.empty());
  CHECK(none.rollout == 100);
  const ReleaseFacts partial = ReleaseFacts::read(Json::parse(R"({"app_id": "a"})"));
  CHECK(partial.app_id == "a");
  CHECK(partial.version.empty());
  auto lenient = [](const Json& j) { return ReleaseFacts::read(j); };
  CHECK(error_of(lenient, R"({"app_id": ["a"]})") == "field 'app_id' must be a string, found an array");
}

TEST_CASE("write_into updates the known facts and keeps other keys", "[release_facts]") {
  Json custom = Json::parse(R"({"app_id": "a", "platform": "p", "version": "1", "manifest": "m", "extra": 1})");
  ReleaseFacts f = ReleaseFacts::read(custom);
  f.rollout = 10;
  f.write_into(custom);
  CHECK(custom.get_int("rollout") == 10);
  CHECK(custom.get_int("extra") == 1);
}

TEST_CASE("names_release and app_id_in recognise release targets", "[release_facts]") {
  CHECK(ReleaseFacts::names_release(Json::parse(R"({"version": "1", "manifest": "m"})")));
  CHECK_FALSE(ReleaseFacts::names_release(Json::parse(R"({"version": "1"})")));
  CHECK_FALSE(ReleaseFacts::names_release(Json()));
  CHECK(ReleaseFacts::app_id_in(Json::parse(R"({"app_id": "a"})")) == "a");
  CHECK_FALSE(ReleaseFacts::app_id_in(Json::parse(R"({"app_id": 3})")));
  CHECK_FALSE(ReleaseFacts::app_id_in(Json::parse("[1]")));
}

TEST_CASE("release facts carry the version of each program file, and refuse modules that are not version strings",
          "[release_facts]") {
  ReleaseFacts f{.app_id = "a", .version = "1.0.0", .platform = "p", .manifest = "a/1.0.0/p/files.json"};
  f.modules = {{"bin/app.exe", "1.2.3.4"}, {"lib/libx.so", "7.1"}};
  const Json j = f.to_json();
  CHECK(j.at("modules").dump_canonical() == R"({"bin/app.exe":"1.2.3.4","lib/libx.so":"7.1"})");
  CHECK(ReleaseFacts::from_json(j).modules == f.modules);
  const char* base = R"({"app_id":"a","version":"1","platform":"p","manifest":"m","modules":)";
  for (const char* bad : {"[]", R"({"bin/app":1})", R"("1.0")"}) {
    const std::string custom = std::string(base) + bad + "}";
    INFO(custom);
    CHECK(error_of(ReleaseFacts::from_json, custom.c_str()).find("field 'modules'") != std::string::npos);
    CHECK(error_of(ReleaseFacts::read, custom.c_str()).find("field 'modules'") != std::string::npos);
  }
}
