#include "upkeep/policy/config.h"

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/base/error.h"
#include "upkeep/platform/build_platform.h"

using upkeep::Config;
using upkeep::Error;
using upkeep::ErrorCode;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;

using upkeep::test::error_of;

namespace {

// Loads `text` from a real config.json; returns the error message.
std::string load_error(const std::string& text, const stdfs::path& file) {
  write_text(file, text);
  return error_of([&] { Config::load(file); }, ErrorCode::kBadInput);
}

}  // namespace

TEST_CASE("config round-trips through save and load", "[config]") {
  TempDir dir;
  Config c;
  c.app_id = "com.example.app";
  c.repository_url = "https://updates.example.com/repo/";
  c.channel = "beta";
  c.platform = "linux-arm64";
  c.main_program = "bin/app";
  c.check_interval_minutes = 0;
  c.check_on_start = true;
  c.check_on_start_deadline_seconds = 12;
  c.trial_timeout_seconds = 5;
  c.handover_ready_timeout_seconds = 7;
  c.headless = true;
  c.max_update_failures = 5;
  c.save(dir / "config.json");
  Config d = Config::load(dir / "config.json");
  CHECK(d.app_id == c.app_id);
  CHECK(d.repository_url == c.repository_url);
  CHECK(d.channel == "beta");
  CHECK(d.platform == "linux-arm64");
  CHECK(d.main_program == "bin/app");
  CHECK(d.check_interval_minutes == 0);
  CHECK(d.check_on_start);
  CHECK(d.check_on_start_deadline_seconds == 12);
  CHECK(d.trial_timeout_seconds == 5);
  CHECK(d.handover_ready_timeout_seconds == 7);
  CHECK(d.headless);
  CHECK(d.max_update_failures == 5);
  CHECK(d.to_json() == c.to_json());
}

TEST_CASE("config defaults apply to optional fields and a trailing slash is added", "[config]") {
  TempDir dir;
  write_text(dir / "config.json", R"({"app_id":"a","repository":"http://127.0.0.1:8080/repo"})");
  Config c = Config::load(dir / "config.json");
  CHECK(c.app_id == "a");
  CHECK(c.repository_url == "http://127.0.0.1:8080/repo/");
  CHECK(c.channel == "stable");
  CHECK(c.platform == upkeep::build_platform());
  CHECK(c.main_program == "mainapp");
  CHECK(c.check_interval_minutes == 360);
  CHECK_FALSE(c.check_on_start);
  CHECK(c.trial_timeout_seconds == 30);
  CHECK(c.handover_ready_timeout_seconds == 60);
  CHECK_FALSE(c.headless);
  CHECK(c.max_update_failures == 3);
}

TEST_CASE("config errors name the file and the key", "[config]") {
  TempDir dir;
  auto file = dir / "config.json";
  const std::string f = file.string();

  auto msg = load_error(R"({"app_id":"a","repository":"r","chanel":"beta"})", file);
  CHECK_THAT(msg, Catch::Contains(f) && Catch::Contains("unknown key 'chanel'"));

  msg = load_error(R"({"app_id":"a","repository":"r","check_on_start":"yes"})", file);
  CHECK_THAT(msg, Catch::Contains(f) && Catch::Contains("check_on_start"));

  msg = load_error(R"({"app_id":"a","repository":"r","check_interval_minutes":"60"})", file);
  CHECK_THAT(msg, Catch::Contains(f) && Catch::Contains("check_interval_minutes"));

  msg = load_error(R"({"app_id":7,"repository":"r"})", file);
  CHECK_THAT(msg, Catch::Contains(f) && Catch::Contains("app_id"));

  msg = load_error(R"({"app_id":"","repository":"r"})", file);
  CHECK_THAT(msg, Catch::Contains(f) && Catch::Contains("'app_id' must not be empty"));

  msg = load_error(R"({"app_id":"a","repository":"r","check_interval_minutes":-1})", file);
  CHECK_THAT(msg, Catch::Contains(f) && Catch::Contains("check_interval_minutes"));

  msg = load_error(R"({"app_id":"a","repository":"r","check_on_start_deadline_seconds":0})", file);
  CHECK_THAT(msg, Catch::Contains(f) && Catch::Contains("'check_on_start_deadline_seconds' must be 1..600"));

  msg = load_error(R"({"app_id":"a","repository":"r","trial_timeout_seconds":0})", file);
  CHECK_THAT(msg, Catch::Contains(f) && Catch::Contains("trial_timeout_seconds"));

  msg = load_error(R"({"app_id":"a","repository":"r","handover_ready_timeout_seconds":0})", file);
  CHECK_THAT(msg, Catch::Contains(f) && Catch::Contains("'handover_ready_timeout_seconds' must be 1..3600"));

  msg = load_error(R"({"app_id":"a","repository":"r","max_update_failures":0})", file);
  CHECK_THAT(msg, Catch::Contains(f) && Catch::Contains("'max_update_failures' must be at least 1"));

  msg = load_error(R"({"app_id":"a","repository":"r","max_update_failures":"3"})", file);
  CHECK_THAT(msg, Catch::Contains(f) && Catch::Contains("max_update_failures"));

  msg = load_error(R"({"app_id":"a"})", file);
  CHECK_THAT(msg, Catch::Contains(f) && Catch::Contains("repository"));

  msg = load_error(R"(["app_id"])", file);
  CHECK_THAT(msg, Catch::Contains(f) && Catch::Contains("object"));

  msg = load_error(R"({"app_id":"a",)", file);
  CHECK_THAT(msg, Catch::Contains(f));
}

TEST_CASE("a missing config file is kNotFound naming it", "[config]") {
  TempDir dir;
  auto msg = error_of([&] { Config::load(dir / "config.json"); }, ErrorCode::kNotFound);
  CHECK_THAT(msg, Catch::Contains((dir / "config.json").string()));
}
