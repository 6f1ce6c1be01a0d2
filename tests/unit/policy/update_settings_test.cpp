#include "upkeep/policy/update_settings.h"

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "policy_fixture.h"
#include "upkeep/policy/config.h"
#include "upkeep/policy/managed_policy.h"

using namespace upkeep;
using upkeep::test::env_of;
using upkeep::test::error_of;

namespace {

std::string set_error(const std::string& key, const Json& value) {
  UpdateSettings s;
  return error_of([&] { s.set(key, value, {}); }, ErrorCode::kBadInput);
}

Config user_config(const std::string& json) { return Config::from_json(Json::parse(json), "config.json"); }

}  // namespace

TEST_CASE("defaults: automatic updates every 360 minutes, no restrictions", "[policy][settings]") {
  UpdateSettings s = UpdateSettings::resolve(user_config(R"({"app_id":"a","repository":"http://r/"})"),
                                             "/i/config.json", ManagedPolicy{}, env_of({}));
  CHECK(s.mode == UpdateMode::kAutomatic);
  CHECK(s.check_interval_minutes == 360);
  CHECK(s.channel == "stable");
  CHECK(s.target_version_prefix.empty());
  CHECK_FALSE(s.downgrades_allowed());
  CHECK_FALSE(s.quiet_hours);
  CHECK(s.restart_prompt == RestartPrompt::kAsk);
  CHECK(s.restart_deadline_hours == 24);
  CHECK(s.proxy.empty());
  CHECK(s.sources.at("update_mode").kind == SettingSource::Kind::kDefault);
  CHECK(s.sources.at("channel").kind == SettingSource::Kind::kDefault);
  CHECK(s.sources.at("repository_url").describe() == "config /i/config.json");
  Json j = s.to_json();
  CHECK(j["update_mode"]["value"] == Json("automatic"));
  CHECK(j["update_mode"]["source"] == Json("default"));
  CHECK_FALSE(j["update_mode"].contains("origin"));
  CHECK(j["repository_url"]["origin"] == Json("/i/config.json"));
}

TEST_CASE("every setting accepts its documented values", "[policy][settings]") {
  UpdateSettings s;
  SettingSource src{SettingSource::Kind::kPolicy, "/p/10.json", ""};
  s.set("update_mode", Json("download_only"), src);
  s.set("check_interval_minutes", Json(0), src);
  s.set("channel", Json("beta"), src);
  s.set("target_version_prefix", Json("2.4."), src);
  s.set("rollback_to_target_version", Json(true), src);
  s.set("allow_downgrade", Json(true), src);
  s.set("quiet_hours", Json("22:00-06:00"), src);
  s.set("restart_prompt", Json("forced"), src);
  s.set("restart_deadline_hours", Json(8), src);
  s.set("repository_url", Json("https://mirror.example.com/repo"), src);
  s.set("proxy", Json("http://proxy.example.com:3128"), src);
  s.set("check_on_start_deadline_seconds", Json(600), src);
  s.set("mirrors", Json::parse(R"(["https://m2.example.com/repo", "sftp://files.example.com/srv/repo"])"), src);
  s.set("credentials_file", Json("/etc/upkeep/credentials.json"), src);
  CHECK(s.mode == UpdateMode::kDownloadOnly);
  CHECK(s.check_interval_minutes == 0);
  CHECK(s.channel == "beta");
  CHECK(s.version_allowed("2.4.9"));
  CHECK_FALSE(s.version_allowed("2.5.0"));
  CHECK(s.quiet_hours->to_string() == "22:00-06:00");
  CHECK(s.restart_prompt == RestartPrompt::kForced);
  CHECK(s.restart_deadline_hours == 8);
  CHECK(s.repository_url == "https://mirror.example.com/repo/");
  CHECK(s.proxy == "http://proxy.example.com:3128");
  CHECK(s.check_on_start_deadline_seconds == 600);
  CHECK(s.mirror_urls ==
        std::vector<std::string>{"https://m2.example.com/repo/", "sftp://files.example.com/srv/repo/"});
  CHECK(s.credentials_file == "/etc/upkeep/credentials.json");
  CHECK_THROWS_WITH(s.set("credentials_file", Json("relative.json"), src),
                    Catch::Contains("key 'credentials_file': expected the absolute path of a credentials file"));
  for (const auto& k : UpdateSettings::keys()) CHECK(s.sources.at(k).describe() == "policy /p/10.json");
  s.set("update_mode", Json("manual"), src);
  CHECK_FALSE(s.checks_automatically());
  s.set("update_mode", Json("disabled"), src);
  CHECK(s.mode == UpdateMode::kDisabled);
  s.set("proxy", Json("direct"), src);
  s.set("quiet_hours", Json(""), src);
  CHECK_FALSE(s.quiet_hours);
}

TEST_CASE("a check interval below the floor is raised to it and the source says so", "[policy][settings]") {
  UpdateSettings s;
  s.set("check_interval_minutes", Json(5), {SettingSource::Kind::kPolicy, "/p/a.json", ""});
  CHECK(s.check_interval_minutes == UpdateSettings::kCheckIntervalFloor);
  CHECK(s.sources.at("check_interval_minutes").note == "raised from 5 to the floor of 60");
  CHECK(s.to_json()["check_interval_minutes"]["note"] == Json("raised from 5 to the floor of 60"));
  s.set("check_interval_minutes", Json(60), {});
  CHECK(s.check_interval_minutes == 60);
  CHECK(s.sources.at("check_interval_minutes").note.empty());
  // The user's config.json is held to the same floor.
  UpdateSettings u =
      UpdateSettings::resolve(user_config(R"({"app_id":"a","repository":"http://r/","check_interval_minutes":1})"),
                              "/i/config.json", ManagedPolicy{}, env_of({}));
  CHECK(u.check_interval_minutes == 60);
  CHECK(u.sources.at("check_interval_minutes").describe() == "config /i/config.json; raised from 1 to the floor of 60");
}

TEST_CASE("a wrong type or value names the key, what was expected and what was found", "[policy][settings]") {
  CHECK(set_error("update_mode", Json("sometimes")) ==
        "key 'update_mode': expected one of \"automatic\", \"download_only\", \"manual\", \"disabled\", found "
        "'sometimes'");
  CHECK(set_error("update_mode", Json(3)) ==
        "key 'update_mode': expected one of \"automatic\", \"download_only\", \"manual\", \"disabled\", found 3");
  CHECK(set_error("check_interval_minutes", Json("60")) ==
        "key 'check_interval_minutes': expected an integer: 0 (no background checks) or 60..525600 minutes, found "
        "'60'");
  CHECK_THAT(set_error("check_interval_minutes", Json(-1)), Catch::Contains("found -1"));
  CHECK_THAT(set_error("allow_downgrade", Json("yes")),
             Catch::Equals("key 'allow_downgrade': expected true or false, found 'yes'"));
  CHECK_THAT(set_error("target_version_prefix", Json("2.x")),
             Catch::StartsWith("key 'target_version_prefix': expected a version prefix such as \"2.4.\""));
  CHECK_THAT(set_error("target_version_prefix", Json("2..4")), Catch::Contains("found '2..4'"));
  CHECK_THAT(set_error("quiet_hours", Json("22:00-25:00")),
             Catch::StartsWith("key 'quiet_hours': '22:00-25:00' is not a time window"));
  CHECK_THAT(set_error("restart_prompt", Json("never")), Catch::Contains("\"ask\", \"notify\", \"forced\""));
  CHECK_THAT(set_error("restart_deadline_hours", Json(0)), Catch::Contains("1..720"));
  CHECK_THAT(set_error("repository_url", Json("ftp://x/")),
             Catch::Contains("http://, https://, sftp:// or file:// URL"));
  CHECK_THAT(set_error("proxy", Json("socks5://p:1080")), Catch::Contains("\"direct\""));
  CHECK_THAT(set_error("channel", Json("")), Catch::Contains("key 'channel'"));
  CHECK_THAT(set_error("update_interval", Json(60)),
             Catch::StartsWith("unknown key 'update_interval' (expected one of: update_mode, check_interval_minutes"));
}

TEST_CASE("a version prefix matches whole components", "[policy][settings]") {
  CHECK(version_matches_prefix("2.4.0", "2.4."));
  CHECK(version_matches_prefix("2.4.11-rc.1", "2.4."));
  CHECK_FALSE(version_matches_prefix("2.40.0", "2.4."));
  CHECK(version_matches_prefix("2.4.0", "2.4"));
  CHECK(version_matches_prefix("2.4", "2.4"));
  CHECK(version_matches_prefix("2.4-beta", "2.4"));
  CHECK_FALSE(version_matches_prefix("2.40.0", "2.4"));
  CHECK_FALSE(version_matches_prefix("2.5.0", "2.4."));
  CHECK(version_matches_prefix("9.9.9", ""));
}

TEST_CASE("the proxy comes from policy, else from the environment variable for the repository's scheme",
          "[policy][settings]") {
  Config https = user_config(R"({"app_id":"a","repository":"https://r/"})");
  UpdateSettings s = UpdateSettings::resolve(https, "/i/config.json", ManagedPolicy{},
                                             env_of({{"https_proxy", "http://envproxy:3128"}, {"http_proxy", "x"}}));
  CHECK(s.proxy.empty());  // the fetcher reads the environment itself (with no_proxy)
  CHECK(s.value_of("proxy") == Json("http://envproxy:3128"));
  CHECK(s.sources.at("proxy").describe() == "environment https_proxy");
  Config http = user_config(R"({"app_id":"a","repository":"http://r/"})");
  s = UpdateSettings::resolve(http, "/i/config.json", ManagedPolicy{}, env_of({{"HTTP_PROXY", "http://up:1"}}));
  CHECK(s.sources.at("proxy").describe() == "environment HTTP_PROXY");
  s = UpdateSettings::resolve(http, "/i/config.json", ManagedPolicy{}, env_of({}));
  CHECK(s.sources.at("proxy").kind == SettingSource::Kind::kDefault);
  CHECK(s.value_of("proxy") == Json(""));
}

TEST_CASE("check_on_start_deadline_seconds: 5 by default, 1..600 from config.json or policy", "[policy][settings]") {
  UpdateSettings d = UpdateSettings::resolve(user_config(R"({"app_id":"a","repository":"http://r/"})"),
                                             "/i/config.json", ManagedPolicy{}, env_of({}));
  CHECK(d.check_on_start_deadline_seconds == 5);
  CHECK(d.sources.at("check_on_start_deadline_seconds").kind == SettingSource::Kind::kDefault);
  UpdateSettings c = UpdateSettings::resolve(
      user_config(R"({"app_id":"a","repository":"http://r/","check_on_start_deadline_seconds":2})"), "/i/config.json",
      ManagedPolicy{}, env_of({}));
  CHECK(c.check_on_start_deadline_seconds == 2);
  CHECK(c.sources.at("check_on_start_deadline_seconds").describe() == "config /i/config.json");
  CHECK(c.to_json()["check_on_start_deadline_seconds"]["value"] == Json(2));
  for (int64_t bad : {0, 601}) {
    UpdateSettings s;
    CHECK_THROWS_WITH(s.set("check_on_start_deadline_seconds", Json(bad), {SettingSource::Kind::kPolicy, "/p", ""}),
                      Catch::Contains("expected an integer number of seconds, 1..600"));
    CHECK(s.check_on_start_deadline_seconds == 5);
  }
}

TEST_CASE("apply_refused: the one rule for when a staged version may be applied", "[policy][settings]") {
  const SettingSource src{SettingSource::Kind::kPolicy, "/p/10.json", ""};
  auto settings = [&](const char* key, const char* value) {
    UpdateSettings s = UpdateSettings::resolve(user_config(R"({"app_id":"a","repository":"http://r/"})"),
                                               "/i/config.json", ManagedPolicy{}, env_of({}));
    if (key) s.set(key, Json(value), src);
    return s;
  };
  CHECK(settings(nullptr, nullptr).apply_refused("2.0.0", false).empty());
  UpdateSettings download_only = settings("update_mode", "download_only");
  CHECK_THAT(download_only.apply_refused("2.0.0", false), Catch::StartsWith("update_mode download_only (policy"));
  CHECK(download_only.apply_refused("2.0.0", true).empty());  // the user restarts to update
  CHECK_THAT(settings("update_mode", "disabled").apply_refused("2.0.0", true),
             Catch::StartsWith("updates are disabled by managed policy"));
  UpdateSettings pinned = settings("target_version_prefix", "1.");
  CHECK(pinned.apply_refused("1.4.0", false).empty());
  CHECK_THAT(pinned.apply_refused("2.0.0", true), Catch::Contains("does not match target_version_prefix '1.'"));
}
