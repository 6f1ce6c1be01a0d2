#include "upkeep/base/cli_args.h"

#include <catch2/catch.hpp>

#include "upkeep/base/error.h"

using upkeep::CliArgs;
using upkeep::Error;
using upkeep::ErrorCode;

namespace {

using Args = std::vector<std::string>;

CliArgs::Spec spec() {
  CliArgs::Spec s;
  s.flags = {"json", "yes"};
  s.values = {"port", "root"};
  s.multi = {"target-name"};
  s.min_positional = 0;
  s.max_positional = 2;
  return s;
}

// The kUsage message of parsing `argv`.
std::string usage_error(const Args& argv, const CliArgs::Spec& s = spec()) {
  try {
    CliArgs a(argv, s);
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUsage);
    return e.what();
  }
  FAIL("expected a usage error");
  return {};
}

}  // namespace

TEST_CASE("flags, values in both spellings, multi values and positionals in any order", "[cli_args]") {
  CliArgs a({"first", "--json", "--port", "8080", "--target-name=a", "second", "--root=/x=y", "--target-name", "b"},
            spec());
  CHECK(a.flag("json"));
  CHECK_FALSE(a.flag("yes"));
  CHECK(a.value("port") == std::optional<std::string>("8080"));
  CHECK(a.value("root") == std::optional<std::string>("/x=y"));  // only the first '=' splits
  CHECK(a.values("target-name") == Args{"a", "b"});
  CHECK(a.positional() == Args{"first", "second"});
  CHECK_FALSE(a.value("missing").has_value());
  CHECK(a.value_or("missing", "fallback") == "fallback");
  CHECK(a.values("missing").empty());
}

TEST_CASE("a value may look like an option or be empty", "[cli_args]") {
  CliArgs a({"--root", "--json", "--port="}, spec());
  CHECK(a.value("root") == std::optional<std::string>("--json"));
  CHECK_FALSE(a.flag("json"));
  CHECK(a.value("port") == std::optional<std::string>(""));
}

TEST_CASE("usage errors name the option", "[cli_args]") {
  CHECK_THAT(usage_error({"--port", "1", "--port", "2"}), Catch::Contains("'--port' given twice"));
  CHECK_THAT(usage_error({"--port=1", "--port=1"}), Catch::Contains("'--port' given twice"));
  CHECK_THAT(usage_error({"--verbose"}), Catch::Contains("unknown option '--verbose'"));
  CHECK_THAT(usage_error({"--verbose=1"}), Catch::Contains("unknown option '--verbose'"));
  CHECK_THAT(usage_error({"-v"}), Catch::Contains("unknown option '-v'"));
  CHECK_THAT(usage_error({"--port"}), Catch::Contains("'--port' expects a value"));
  CHECK_THAT(usage_error({"--json=1"}), Catch::Contains("'--json' takes no value"));
}

TEST_CASE("positional limits", "[cli_args]") {
  auto s = spec();
  s.min_positional = 1;
  s.max_positional = 1;
  CHECK_THAT(usage_error({"--json"}, s), Catch::Contains("at least 1"));
  CHECK_THAT(usage_error({"a", "b"}, s), Catch::Contains("unexpected argument 'b'"));
  CHECK(CliArgs({"a"}, s).positional() == Args{"a"});
  // A single dash is a positional (conventionally stdin).
  CHECK(CliArgs({"-"}, s).positional() == Args{"-"});
}

TEST_CASE("a bare \"--\" ends the options", "[cli_args]") {
  CliArgs a({"--json", "--", "--port", "-x"}, spec());
  CHECK(a.flag("json"));
  CHECK_FALSE(a.value("port").has_value());
  CHECK(a.positional() == Args{"--port", "-x"});
  // After "--", a second "--" is a plain argument.
  CliArgs b({"--", "--"}, spec());
  CHECK(b.positional() == Args{"--"});
}

TEST_CASE("int_value_or parses within its range and names the option otherwise", "[cli_args]") {
  CHECK(CliArgs({}, spec()).int_value_or("port", 7, 0, 65535) == 7);
  CHECK(CliArgs({"--port", "0"}, spec()).int_value_or("port", 7, 0, 65535) == 0);
  CHECK(CliArgs({"--port", "65535"}, spec()).int_value_or("port", 7, 0, 65535) == 65535);
  CHECK(CliArgs({"--port", "-3"}, spec()).int_value_or("port", 7, -5, 5) == -3);
  for (const char* bad : {"65536", "-1", "x", "12x", "", " 1", "1.5", "99999999999999999999999"}) {
    INFO(bad);
    CliArgs a({"--port", bad}, spec());
    try {
      a.int_value_or("port", 7, 0, 65535);
      FAIL("expected a usage error");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kUsage);
      CHECK_THAT(e.what(),
                 Catch::Contains("--port expects an integer from 0 to 65535, got '" + std::string(bad) + "'"));
    }
  }
}
