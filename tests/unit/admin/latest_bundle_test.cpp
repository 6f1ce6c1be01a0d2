#include "upkeep/admin/latest_bundle.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <tuple>
#include <vector>

#include "test_support.h"
#include "upkeep/base/error.h"

using namespace upkeep;
using upkeep::admin::LatestBundle;

TEST_CASE("LatestBundle: the link's name per channel, and names that could leave the folder refused",
          "[latest_bundle]") {
  CHECK(LatestBundle::file_name("demo", "stable", "linux-x86_64") == "demo-latest-linux-x86_64");
  CHECK(LatestBundle::file_name("demo", "beta", "linux-x86_64") == "demo-beta-latest-linux-x86_64");
  for (const auto& [app, channel, platform] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"../x", "stable", "p"}, {"demo", "a/b", "p"}, {"demo", "stable", ""}, {".hidden", "stable", "p"}}) {
    try {
      LatestBundle::file_name(app, channel, platform);
      FAIL("accepted " << app << " " << channel << " " << platform);
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kBadInput);
    }
  }
}

TEST_CASE("LatestBundle: a missing or foreign link is behind any bundle", "[latest_bundle]") {
  test::TempDir tmp;
  const auto dir = tmp.path();
  std::filesystem::create_directories(dir / "download");
  admin::BundleFacts f;
  f.app_id = "demo";
  f.version = "1.0.0";
  f.platform = "linux-x86_64";
  f.channel = "stable";
  CHECK(LatestBundle::is_behind(dir, f));
  { std::ofstream(dir / "download" / "demo-latest-linux-x86_64") << "not a bundle"; }
  CHECK(LatestBundle::is_behind(dir, f));
}
