#include "upkeep/base/json.h"

#include <catch2/catch.hpp>

using upkeep::Error;
using upkeep::ErrorCode;
using upkeep::Json;

TEST_CASE("canonical JSON sorts keys and escapes only quote and backslash", "[json]") {
  Json j = Json::parse(R"({"b": 1, "a": ["x\"y", "line\nbreak", {"d": null, "c": true}], "e": -5})");
  CHECK(j.dump_canonical() == "{\"a\":[\"x\\\"y\",\"line\nbreak\",{\"c\":true,\"d\":null}],\"b\":1,\"e\":-5}");
}

TEST_CASE("canonical JSON refuses non-integer numbers", "[json]") {
  Json j = Json::parse("{\"x\": 1.5}");
  REQUIRE_THROWS_AS(j.dump_canonical(), Error);
}

TEST_CASE("parser round-trips unicode escapes to UTF-8", "[json]") {
  Json j = Json::parse(R"(["\u00e9\ud83d\ude00"])");
  CHECK(j.as_array()[0].as_string() == "\xC3\xA9\xF0\x9F\x98\x80");
}

TEST_CASE("parser rejects malformed input with the offset and what was expected", "[json]") {
  auto message_for = [](const char* text) {
    try {
      Json::parse(text, "metadata/root.json");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kBadInput);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message_for("{\"a\":1,\"a\":2}").find("duplicate key \"a\"") != std::string::npos);
  CHECK(message_for("{\"a\":1} x").find("end of data") != std::string::npos);
  CHECK(message_for("[01]").find("leading zeros") != std::string::npos);
  CHECK(message_for("{\"a\":}").find("metadata/root.json: invalid JSON at byte 5") != std::string::npos);
  CHECK(message_for("\"\x01\"").find("control character") != std::string::npos);
  CHECK(message_for("99999999999999999999").find("64 bits") != std::string::npos);
  std::string deep(100, '[');
  CHECK(message_for(deep.c_str()).find("nesting") != std::string::npos);
}

TEST_CASE("typed field access names the field", "[json]") {
  Json j = Json::parse(R"({"version": "3"})");
  try {
    j.get_int("version");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "field 'version' must be an integer, found a string");
  }
  try {
    j.at("expires");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "missing field 'expires'");
  }
  CHECK(j.get_int_or("length", 7) == 7);
}

TEST_CASE("negative zero prints as 0, so printed JSON parses back and prints the same", "[json]") {
  // Found by the json fuzzer: "-0e2" printed as "-0", which parses as the integer 0 and prints "0".
  const std::string text = Json::parse("[-0e2, -0.0, 2.5]").dump(0);
  CHECK(text == "[0,0,2.5]");
  CHECK(Json::parse(text).dump(0) == text);
}
