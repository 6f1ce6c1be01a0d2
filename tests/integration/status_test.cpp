// launcher --upkeep-status tells the truth (issue #19): versions newest first
// by SemVer, one line each with its state and why, no "staged" row left
// behind by a newer version applied and rolled back, and the defaults the
// installer used shown as defaults; --upkeep-json says the same.
#include "release_fixture.h"

using namespace upkeep;
using namespace upkeep::test;

namespace {

void check_now(const Installed& app) {
  run_ok({program("upkeep-updater").string(), "--root", app.prefix().string(), "--check-now"});
}

// The "versions (newest first):" lines of the text status, each "VERSION STATE WHY".
std::vector<std::string> version_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "versions (newest first):") {
      inside = true;
    } else if (inside && line.rfind("  ", 0) == 0) {
      lines.push_back(line.substr(2));
    } else {
      inside = false;
    }
  }
  return lines;
}

}  // namespace

TEST_CASE("status: a version staged before a newer one applied and rolled back is no longer shown as staged",
          "[status][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");
  check_now(app);  // 2.0.0 staged
  // 10.0.0 (newer by SemVer, older by string) is released and staged before 2.0.0 was applied.
  vendor.release(vendor.build_folder("10.0.0"), "10.0.0");
  check_now(app);
  REQUIRE(app.state_of("2.0.0") == "staged");
  REQUIRE(app.state_of("10.0.0") == "staged");
  // The next start applies 10.0.0; rolled back by hand, 1.0.0 runs again.
  run_ok({app.launcher().string(), "--exit-after-check", "--ui", "terminal"}, {}, std::string());
  REQUIRE(app.current() == "versions/10.0.0");
  run_ok({app.launcher().string(), "--upkeep-rollback"});
  REQUIRE(app.current() == "versions/1.0.0");

  const Json json = app.status();
  CHECK(json.get_array("staged").empty());  // 2.0.0 would never be applied as staged: it was superseded
  CHECK_FALSE(json.get_bool("pending"));
  CHECK_FALSE(stdfs::exists(app.prefix() / "staging" / "2.0.0"));
  const std::string text = run_ok({app.launcher().string(), "--upkeep-status"}).out;
  INFO(text);
  const std::vector<std::string> lines = version_lines(text);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "10.0.0  bad          rolled back by hand: never offered again");
  CHECK(lines[1] == "2.0.0  removed      superseded by 10.0.0, applied instead");
  CHECK(lines[2] == "1.0.0  good         current");
  // --upkeep-json in the same order with the same words.
  const auto& versions = json.get_array("versions");
  REQUIRE(versions.size() == 3);
  for (size_t i = 0; i < versions.size(); ++i)
    CHECK(lines[i] == versions[i].get_string("version") + "  " + versions[i].get_string("state") +
                          std::string(11 - versions[i].get_string("state").size(), ' ') + "  " +
                          versions[i].get_string("why"));
  CHECK(versions[2].get_bool("current"));
}

TEST_CASE("status: the version to roll back to says so, and the installer's defaults are defaults",
          "[status][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");
  check_now(app);
  run_ok({app.launcher().string(), "--exit-after-check", "--ui", "terminal"}, {}, std::string());
  REQUIRE(app.current() == "versions/2.0.0");

  const std::vector<std::string> lines = version_lines(run_ok({app.launcher().string(), "--upkeep-status"}).out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "2.0.0  good         current");
  CHECK(lines[1] == "1.0.0  good         kept to roll back to");

  // The installer wrote no default into config.json: each one is shown as a default, not as "config".
  const Json config = Json::parse(read_text(app.prefix() / "config.json"), "config.json");
  for (const char* key : {"channel", "check_interval_minutes", "check_on_start", "trial_timeout_seconds"})
    CHECK_FALSE(config.contains(key));
  const Json settings = app.status().at("settings");
  for (const char* key : {"channel", "check_interval_minutes", "check_on_start_deadline_seconds"}) {
    INFO(key);
    CHECK(settings.at(key).get_string("source") == "default");
  }
  CHECK(settings.at("repository_url").get_string("source") == "config");
  // A value the administrator writes is the config's.
  edit_config(app.prefix(), [](Config& c) { c.check_interval_minutes = 720; });
  CHECK(app.status().at("settings").at("check_interval_minutes").get_string("source") == "config");
}
