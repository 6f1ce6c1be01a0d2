#include "upkeep/base/command_line.h"

#include <catch2/catch.hpp>

#include "upkeep/base/error.h"

using upkeep::CommandLine;
using upkeep::Error;
using upkeep::ErrorCode;
using upkeep::ParsedArgs;
using upkeep::ShowText;

namespace {

using Args = std::vector<std::string>;

CommandLine declaration() {
  CommandLine c("upkeep demo", "Shows the shared conventions.");
  c.flag("json", "print JSON")
      .flag("yes", "do it")
      .option("port", "P", "the port")
      .option("root", "DIR", "the root")
      .repeated("target-name", "PATH", "a target, again for more")
      .arguments("ARGS", "up to two words", 0, 2);
  return c;
}

// The kUsage message of parsing `argv`.
std::string usage_error(const Args& argv, const CommandLine& c = declaration()) {
  try {
    c.parse(argv);
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kUsage);
    return e.what();
  }
  FAIL("expected a usage error");
  return {};
}

// The text --help or --version asks for.
std::string shown(const Args& argv, const CommandLine& c = declaration()) {
  try {
    c.parse(argv);
  } catch (const ShowText& t) {
    return t.text();
  }
  FAIL("expected text to show");
  return {};
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("flags, values in both spellings, repeated values and positionals in any order", "[command_line]") {
  ParsedArgs a = declaration().parse(
      {"first", "--json", "--port", "8080", "--target-name=a", "second", "--root=/x=y", "--target-name", "b"});
  CHECK(a.flag("json"));
  CHECK_FALSE(a.flag("yes"));
  CHECK(a.value("port") == "8080");
  CHECK(a.value("root") == "/x=y");
  CHECK(a.values("target-name") == Args{"a", "b"});
  CHECK(a.positional() == Args{"first", "second"});
  CHECK(a.value_or("missing", "d") == "d");
  CHECK_FALSE(a.value("missing"));
}

TEST_CASE("usage errors name the option and what was expected", "[command_line]") {
  CHECK(usage_error({"--bogus"}) == "unknown option '--bogus' (upkeep demo --help lists the options)");
  CHECK(contains(usage_error({"--port"}), "--port"));
  CHECK(contains(usage_error({"--port", "1", "--port", "2"}), "--port"));
  CHECK(usage_error({"a", "b", "c"}) == "unexpected argument 'c' (upkeep demo --help lists the options)");
}

TEST_CASE("a bare \"--\" ends the options", "[command_line]") {
  ParsedArgs a = declaration().parse({"--json", "--", "--port", "-x"});
  CHECK(a.flag("json"));
  CHECK_FALSE(a.value("port"));
  CHECK(a.positional() == Args{"--port", "-x"});
  CHECK(usage_error({"--", "a", "b", "-c"}) == "unexpected argument '-c' (upkeep demo --help lists the options)");
}

TEST_CASE("required arguments", "[command_line]") {
  CommandLine c("upkeep two", "Takes two words.");
  c.arguments("A B", "the words", 2, 2);
  CHECK(c.parse({"x", "y"}).positional() == Args{"x", "y"});
  CHECK(usage_error({"x"}, c) == "expected A B (2 arguments), got 1 (upkeep two --help lists the options)");
  CHECK(usage_error({}, c) == "missing A B (upkeep two --help lists the options)");
}

TEST_CASE("--help comes from the declaration and --version from the program", "[command_line]") {
  const std::string help = shown({"--help"});
  for (const char* part : {"usage: upkeep demo", "Shows the shared conventions.", "--json", "--port P", "the port",
                           "--target-name PATH ...", "ARGS", "--help", "--version"})
    CHECK(contains(help, part));
  CHECK(help == declaration().help());
  CHECK(shown({"--version"}) == std::string("upkeep ") + UPKEEP_VERSION_STRING + "\n");
  // --help wins over a command line that does not parse otherwise.
  CHECK(shown({"--bogus", "--help"}) == help);
  CHECK(shown({"--help", "--port"}) == help);
}

TEST_CASE("a command with a --version option of its own keeps it", "[command_line]") {
  CommandLine c("upkeep rel", "Releases.");
  c.option("version", "V", "the version to release");
  CHECK(c.parse({"--version", "1.2"}).value("version") == "1.2");
  CHECK(contains(usage_error({"--version"}, c), "--version"));
  CHECK(c.value_count("--version") == 1);
}

TEST_CASE("the launcher's own names", "[command_line]") {
  CommandLine c("launcher", "Starts the app.", {.help = "--upkeep-help", .version = "--upkeep-version"});
  c.flag("upkeep-status", "status").option("upkeep-after-pid", "PID", "wait");
  CHECK(c.value_count("--upkeep-status") == 0);
  CHECK(c.value_count("--upkeep-after-pid") == 1);
  CHECK(c.value_count("--upkeep-help") == 0);
  CHECK(c.value_count("--help") == -1);
  CHECK(contains(shown({"--upkeep-help"}, c), "--upkeep-after-pid PID"));
  CHECK(shown({"--upkeep-version"}, c) == std::string("launcher ") + UPKEEP_VERSION_STRING + "\n");
  CHECK(usage_error({"--help"}, c) == "unknown option '--help' (launcher --upkeep-help lists the options)");
}

TEST_CASE("int_value_or parses within its range and names the option otherwise", "[command_line]") {
  CHECK(declaration().parse({}).int_value_or("port", 7, 0, 65535) == 7);
  CHECK(declaration().parse({"--port", "0"}).int_value_or("port", 7, 0, 65535) == 0);
  CHECK(declaration().parse({"--port", "65535"}).int_value_or("port", 7, 0, 65535) == 65535);
  for (const char* bad : {"65536", "x", "1x", ""}) {
    try {
      declaration().parse({"--port", bad}).int_value_or("port", 7, 0, 65535);
      FAIL("accepted " << bad);
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kUsage);
      CHECK(std::string(e.what()) == "--port expects an integer from 0 to 65535, got '" + std::string(bad) + "'");
    }
  }
}
