#include "upkeep/base/version.h"

#include <catch2/catch.hpp>

#include "upkeep/base/error.h"

using upkeep::Error;
using upkeep::ErrorCode;
using upkeep::Version;

namespace {

Version v(const char* text) { return Version::parse_or_throw(text); }

}  // namespace

TEST_CASE("SemVer 2.0.0 section 11 precedence examples hold in order", "[version]") {
  // Each list is strictly increasing, exactly as written in the specification.
  std::vector<std::vector<const char*>> chains = {
      {"1.0.0", "2.0.0", "2.1.0", "2.1.1"},
      {"1.0.0-alpha", "1.0.0"},
      {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
       "1.0.0"},
  };
  for (const auto& chain : chains) {
    for (size_t i = 0; i < chain.size(); ++i) {
      for (size_t j = 0; j < chain.size(); ++j) {
        INFO(chain[i] << " vs " << chain[j]);
        int expected = i < j ? -1 : i > j ? 1 : 0;
        int got = v(chain[i]).compare(v(chain[j]));
        CHECK((got < 0 ? -1 : got > 0 ? 1 : 0) == expected);
      }
    }
  }
  CHECK(v("1.0.0-alpha") < v("1.0.0"));
  CHECK(v("2.1.1") > v("2.1.0"));
  CHECK(v("1.0.0-rc.1").is_prerelease());
  CHECK_FALSE(v("1.0.0").is_prerelease());
}

TEST_CASE("numeric prerelease identifiers compare numerically, not as text", "[version]") {
  CHECK(v("1.0.0-9") < v("1.0.0-10"));
  CHECK(v("1.0.0-beta.9") < v("1.0.0-beta.10"));
  CHECK(v("1.0.0-999") < v("1.0.0-a"));  // numeric ranks below alphanumeric
  CHECK(v("1.0.0-a-b") > v("1.0.0-a"));
  CHECK(v("1.0.0-rc.1") == v("1.0.0-rc.1"));
}

TEST_CASE("build metadata is ignored for precedence", "[version]") {
  CHECK(v("1.0.0+build.1") == v("1.0.0+build.2"));
  CHECK(v("1.0.0+build.1") == v("1.0.0"));
  CHECK(v("1.0.0-rc.1+exp.sha.5114f85") == v("1.0.0-rc.1"));
  CHECK(v("1.0.0-alpha+001") < v("1.0.0"));
  CHECK(v("1.0.0+20130313144700").str() == "1.0.0+20130313144700");
}

TEST_CASE("dotted numeric versions compare component by component", "[version]") {
  CHECK(v("10.0.19041.1") < v("10.0.19041.2"));
  CHECK(v("10.0.19041.2") < v("10.0.19042.0"));
  CHECK(v("1.2") == v("1.2.0"));
  CHECK(v("1.2.0.0") == v("1.2"));
  CHECK(v("1.10") > v("1.9"));
  CHECK(v("7") < v("7.0.1"));
  CHECK(v("7") > v("6.99.99.99"));
  CHECK(v("0") < v("0.0.1"));
  CHECK(v("18446744073709551615") > v("18446744073709551614"));
  CHECK(v("10.0.19041.1").numbers() == std::vector<uint64_t>{10, 0, 19041, 1});
  // A release of the same numbers ranks above its prerelease either way round.
  CHECK(v("1.2.3.0") > v("1.2.3-rc.1"));
}

TEST_CASE("invalid versions are refused", "[version]") {
  const char* bad[] = {
      "",        " ",           "1.2.3 ",     " 1.2.3",   "v1.2.3",     "V1",          "1..2",
      "1.",      ".1",          "1.2.3-",     "1.2.3+",   "-1",         "+1",          "01.2.3",
      "1.02",    "1.2.3-01",    "1.2.3-a..b", "1.2.3-a.", "1.2.3+a..b", "1.2.3-a_b",   "1.2.3+a b",
      "1.2-rc1", "1.2.3.4-rc1", "1.2+b",      "1.2.3-+b", "a.b.c",      "1.2.3-rc.1+", "18446744073709551616",
      "1,2",     "1.2.3\n",     "1.2.3-α"};
  for (const char* text : bad) {
    INFO("'" << text << "'");
    CHECK_FALSE(Version::parse(text).has_value());
  }
  // Leading zeros are fine in build metadata; "0" alone is fine everywhere.
  CHECK(Version::parse("1.2.3+001").has_value());
  CHECK(Version::parse("0.0.0-0").has_value());
  CHECK(Version::parse("1.0.0-0A.is.legal").has_value());
  CHECK(Version::parse("7").has_value());
}

TEST_CASE("parse_or_throw names what was parsed and what was expected", "[version]") {
  try {
    Version::parse_or_throw("v1.2", "config.json field 'min_version'");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kBadInput);
    CHECK(std::string(e.what()) ==
          "config.json field 'min_version': 'v1.2' is not a version (expected SemVer like 1.2.3 or dotted numbers like "
          "10.0.19041.1)");
  }
  try {
    Version::parse_or_throw("");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).rfind("version: '' is not a version", 0) == 0);
  }
}

TEST_CASE("an Android versionCode is a one-number version", "[version]") {
  CHECK(v("9") < v("10"));
  CHECK(v("42") < v("43"));
  CHECK(v("100") > v("99"));
  CHECK(v("42") == v("42.0"));
}
