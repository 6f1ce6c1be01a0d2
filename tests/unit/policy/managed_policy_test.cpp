#include "upkeep/policy/managed_policy.h"

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "policy_fixture.h"
#include "test_support.h"
#include "upkeep/install/layout.h"
#include "upkeep/policy/config.h"

using namespace upkeep;
using upkeep::test::env_of;
using upkeep::test::error_of;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;

namespace {

// An install root with a config.json, and a policy base folder with a folder for app "demo".
struct PolicyWorld {
  TempDir dir;
  Layout layout{dir / "root"};
  stdfs::path base = dir / "policies";
  stdfs::path folder = base / "demo";

  explicit PolicyWorld(const std::string& config_json = R"({"app_id":"demo","repository":"http://main/"})") {
    write_text(layout.config_file(), config_json);
    stdfs::create_directories(folder);
  }
  void policy(const std::string& name, const std::string& text) { write_text(folder / name, text); }
  std::string file(const std::string& name) const { return (folder / name).string(); }
  UpdateSettings settings() const {
    return ManagedPolicy::effective_settings(layout, Config::load(layout.config_file()),
                                             env_of({{"UPKEEP_POLICY_DIR", base.string()}}));
  }
  // The one error of the one rejected file `name`.
  std::string rejection(const std::string& name, const std::string& text) {
    policy(name, text);
    UpdateSettings s = settings();
    REQUIRE(s.policy_errors.size() == 1);
    CHECK(s.policy_errors[0].file == file(name));
    return s.policy_errors[0].message;
  }
};

}  // namespace

TEST_CASE("policy overrides the user's config, which overrides the defaults", "[policy][managed_policy]") {
  PolicyWorld w(R"({"app_id":"demo","repository":"http://main/","channel":"dev","check_interval_minutes":90})");
  UpdateSettings s = w.settings();
  CHECK(s.channel == "dev");
  CHECK(s.sources.at("channel").describe() == "config " + w.layout.config_file().string());
  w.policy("10-fleet.json", R"({"channel":"beta","check_interval_minutes":120,"repository_url":"http://mirror/"})");
  s = w.settings();
  CHECK(s.channel == "beta");
  CHECK(s.check_interval_minutes == 120);
  CHECK(s.repository_url == "http://mirror/");
  CHECK(s.sources.at("channel").describe() == "policy " + w.file("10-fleet.json"));
  CHECK(s.sources.at("update_mode").kind == SettingSource::Kind::kDefault);
  CHECK(s.policy_files == std::vector<std::string>{w.file("10-fleet.json")});
  CHECK(s.policy_errors.empty());
  CHECK(s.policy_folder == w.folder);
  CHECK(s.policy_folder_source.describe() == "environment UPKEEP_POLICY_DIR");
}

TEST_CASE("policy files are applied in file name order, the later one winning", "[policy][managed_policy]") {
  PolicyWorld w;
  w.policy("20-site.json", R"({"channel":"esr"})");
  w.policy("10-fleet.json", R"({"channel":"beta","update_mode":"download_only"})");
  w.policy("README", "not a policy");      // not *.json: not read
  w.policy(".10-x.json.swp", "{");         // hidden: not read
  w.policy(".hidden.json", R"({"x":1})");  // hidden: not read
  UpdateSettings s = w.settings();
  CHECK(s.channel == "esr");
  CHECK(s.sources.at("channel").origin == w.file("20-site.json"));
  CHECK(s.mode == UpdateMode::kDownloadOnly);
  CHECK(s.sources.at("update_mode").origin == w.file("10-fleet.json"));
  CHECK(s.policy_files == std::vector<std::string>{w.file("10-fleet.json"), w.file("20-site.json")});
  CHECK(s.policy_errors.empty());
}

TEST_CASE("no policy folder is no policy", "[policy][managed_policy]") {
  PolicyWorld w;
  stdfs::remove_all(w.folder);
  UpdateSettings s = w.settings();
  CHECK(s.policy_files.empty());
  CHECK(s.policy_errors.empty());
  CHECK(s.mode == UpdateMode::kAutomatic);
}

TEST_CASE("a bad policy file is rejected as a whole and the other files still apply", "[policy][managed_policy]") {
  PolicyWorld w;
  w.policy("10-good.json", R"({"channel":"beta"})");
  // Its valid key must not apply either.
  w.policy("20-bad.json", R"({"update_mode":"disabled","check_interval":60})");
  UpdateSettings s = w.settings();
  CHECK(s.channel == "beta");
  CHECK(s.mode == UpdateMode::kAutomatic);
  CHECK(s.policy_files == std::vector<std::string>{w.file("10-good.json")});
  REQUIRE(s.policy_errors.size() == 1);
  CHECK_THAT(s.policy_errors[0].message,
             Catch::StartsWith(w.file("20-bad.json") + ": unknown key 'check_interval' (expected one of: update_mode"));
  Json p = s.policy_json();
  CHECK(p["errors"].as_array().size() == 1);
  CHECK(p["errors"].as_array()[0]["file"] == Json(w.file("20-bad.json")));
}

TEST_CASE("rejected policy files: each error names the file, the key and what was expected",
          "[policy][managed_policy]") {
  SECTION("unknown key") {
    PolicyWorld w;
    CHECK_THAT(w.rejection("a.json", R"({"update_mode":"manual","auto_update":true})"),
               Catch::StartsWith(w.file("a.json") + ": unknown key 'auto_update' (expected one of:"));
  }
  SECTION("wrong type") {
    PolicyWorld w;
    CHECK(w.rejection("a.json", R"({"check_interval_minutes":"120"})") ==
          w.file("a.json") +
              ": key 'check_interval_minutes': expected an integer: 0 (no background checks) or 60..525600 minutes, "
              "found '120'");
  }
  SECTION("bad enum") {
    PolicyWorld w;
    CHECK(w.rejection("a.json", R"({"restart_prompt":"sometimes"})") ==
          w.file("a.json") +
              ": key 'restart_prompt': expected one of \"ask\", \"notify\", \"forced\", found 'sometimes'");
  }
  SECTION("bad time window") {
    PolicyWorld w;
    CHECK_THAT(w.rejection("a.json", R"({"quiet_hours":"22:00-30:00"})"),
               Catch::Equals(w.file("a.json") +
                             ": key 'quiet_hours': '22:00-30:00' is not a time window (expected a local-time window "
                             "\"HH:MM-HH:MM\" such as \"22:00-06:00\")"));
  }
  SECTION("not JSON") {
    PolicyWorld w;
    CHECK_THAT(w.rejection("a.json", R"({"update_mode": "manual",)"),
               Catch::Contains(w.file("a.json")) && Catch::Contains("expected"));
  }
  SECTION("not an object") {
    PolicyWorld w;
    CHECK(w.rejection("a.json", R"(["update_mode","manual"])") ==
          w.file("a.json") + ": expected a JSON object of settings at the top level, found an array");
  }
}

TEST_CASE("the policy folder is <base>/<app-id>, the base from UPKEEP_POLICY_DIR or the build's default",
          "[policy][managed_policy]") {
  SettingSource src;
  CHECK(ManagedPolicy::folder_for("demo", env_of({}), &src) == stdfs::path("/etc/upkeep/policies/demo"));
  CHECK(src.kind == SettingSource::Kind::kDefault);
  CHECK(ManagedPolicy::folder_for("demo", env_of({{"UPKEEP_POLICY_DIR", "/opt/p"}}), &src) ==
        stdfs::path("/opt/p/demo"));
  CHECK(src.describe() == "environment UPKEEP_POLICY_DIR");
  for (const char* bad : {"..", "a/b", "."})
    CHECK_THAT(error_of([&] { ManagedPolicy::folder_for(bad, env_of({}), nullptr); }, ErrorCode::kBadInput),
               Catch::Contains("one path component"));
}

TEST_CASE(
    "config.json's mirrors are tried after its repository, and a policy's repository replaces them unless the "
    "policy names mirrors of its own",
    "[policy][managed_policy][mirror_list]") {
  PolicyWorld w(R"({"app_id":"demo","repository":"http://main/","mirrors":["http://m1","http://main/"]})");
  UpdateSettings s = w.settings();
  CHECK(s.repository_sources().urls() == std::vector<std::string>{"http://main/", "http://m1/"});
  CHECK(s.sources.at("mirrors").kind == SettingSource::Kind::kConfig);
  CHECK(s.to_json()["mirrors"]["value"] == Json::parse(R"(["http://m1/", "http://main/"])"));

  w.policy("10-site.json", R"({"repository_url":"http://site/"})");
  s = w.settings();
  CHECK(s.repository_sources().urls() == std::vector<std::string>{"http://site/"});
  CHECK(s.sources.at("mirrors").note == "config.json's mirrors dropped: the policy names its own repository_url");

  w.policy("10-site.json", R"({"repository_url":"http://site/","mirrors":["https://site2"]})");
  s = w.settings();
  CHECK(s.repository_sources().urls() == std::vector<std::string>{"http://site/", "https://site2/"});
  CHECK(s.sources.at("mirrors").describe() == "policy " + w.file("10-site.json"));

  CHECK(w.rejection("20-bad.json", R"({"mirrors":["gopher://x/"]})") ==
        w.file("20-bad.json") +
            ": key 'mirrors': expected a list of repository URLs (http://, https://, sftp:// or file://), found "
            "'gopher://x/'");
}
