#include "upkeep/install/launch_spec.h"

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/base/error.h"

using namespace upkeep;

TEST_CASE("HealthRule parses the three rules and refuses anything else", "[launch_spec]") {
  CHECK(HealthRule::parse("confirm").kind == HealthRule::Kind::kConfirm);
  CHECK(HealthRule::parse("exit").kind == HealthRule::Kind::kExit);
  CHECK(HealthRule::parse("running") == HealthRule{HealthRule::Kind::kRunning, 10});
  CHECK(HealthRule::parse("running:7") == HealthRule{HealthRule::Kind::kRunning, 7});
  CHECK(HealthRule::parse("running:7").to_string() == "running:7");
  for (const char* bad :
       {"", "Confirm", "running:", "running:0", "running:3601", "running:1x", "running:-1", "crash"}) {
    INFO(bad);
    CHECK_THROWS_WITH(HealthRule::parse(bad, "--health"),
                      Catch::Contains("--health is '") && Catch::Contains("expected confirm, running:SECONDS"));
  }
}

TEST_CASE("LaunchSpec round-trips through its JSON and its file", "[launch_spec]") {
  LaunchSpec s{"bin/hello", {"--from-launcher", "two words"}, HealthRule::parse("exit")};
  CHECK(LaunchSpec::from_json(Json::parse(s.to_json().dump_canonical()), "x") == s);
  test::TempDir dir;
  CHECK_FALSE(LaunchSpec::read(dir.path() / "missing.launch.json"));
  s.save(dir.path() / "1.0.0.launch.json");
  CHECK(LaunchSpec::read(dir.path() / "1.0.0.launch.json") == s);
}

TEST_CASE("LaunchSpec refuses hostile or malformed declarations, naming the field", "[launch_spec]") {
  auto refuse = [](const std::string& text, const std::string& expected) {
    INFO(text);
    CHECK_THROWS_WITH(LaunchSpec::from_json(Json::parse(text), "files.json"), Catch::Contains(expected));
  };
  refuse(R"({"args":[],"health":"exit","program":"../../bin/sh"})", "field 'program' '../../bin/sh' has a '..'");
  refuse(R"({"args":[],"health":"exit","program":"/bin/sh"})", "is absolute");
  refuse(R"({"args":[1],"health":"exit","program":"a"})", "field 'args' must hold strings");
  refuse(R"({"args":[],"health":"sometimes","program":"a"})", "launch.health is 'sometimes'");
  refuse(R"({"args":[],"health":"exit","program":"a","env":{}})", "unknown field 'env'");
  refuse(R"({"health":"exit","program":"a"})", "field 'args' is missing");
  test::TempDir dir;
  test::write_text(dir.path() / "v.launch.json", "{not json");
  CHECK_THROWS_WITH(LaunchSpec::read(dir.path() / "v.launch.json"), Catch::Contains("v.launch.json"));
}
