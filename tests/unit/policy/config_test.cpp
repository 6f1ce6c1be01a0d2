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

  auto msg = load_error(R"({"app_id":"a","repository":"r","check_on_start":"yes"})", file);
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

TEST_CASE("a key config.json does not know is kept aside as a warning, never an error", "[config]") {
  TempDir dir;
  write_text(dir / "config.json", R"({"app_id":"a","repository":"r","from_version_9":{"x":1},"chanel":"beta"})");
  Config c = Config::load(dir / "config.json");
  CHECK(c.app_id == "a");
  CHECK(c.channel == "stable");
  CHECK(c.unknown_keys == std::vector<std::string>{"chanel", "from_version_9"});
}

TEST_CASE("load_or_salvage keeps every right value of a damaged file and says what was wrong", "[config]") {
  TempDir dir;
  const auto file = dir / "config.json";
  write_text(file, R"({"app_id":"a","repository":"http://h/r","channel":"beta","check_interval_minutes":"often"})");
  Config::Loaded typo = Config::load_or_salvage(file, "launcher-name");
  CHECK(typo.damaged());
  CHECK_THAT(typo.damage, Catch::Contains("check_interval_minutes"));
  CHECK(typo.config.app_id == "a");
  CHECK(typo.config.repository_url == "http://h/r/");
  CHECK(typo.config.channel == "beta");
  CHECK(typo.config.check_interval_minutes == 360);

  for (const std::string text : {"", "[]", "\x01garbage", R"({"repository":"http://h/r"})"}) {
    CAPTURE(text);
    write_text(file, text);
    Config::Loaded l = Config::load_or_salvage(file, "launcher-name");
    CHECK(l.damaged());
    CHECK(l.config.app_id == "launcher-name");
    CHECK(l.config.platform == upkeep::build_platform());
  }
  stdfs::remove(file);
  stdfs::create_directories(file / "x");
  CHECK(Config::load_or_salvage(file, "n").damaged());

  stdfs::remove_all(file);
  write_text(file, R"({"app_id":"a","repository":"r"})");
  Config::Loaded fine = Config::load_or_salvage(file, "n");
  CHECK_FALSE(fine.damaged());
  CHECK(fine.config.app_id == "a");
}
