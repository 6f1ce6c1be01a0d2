// UserDataPurge on real folders: the XDG rules name an app's four folders,
// only those that exist are removed, and a folder that holds an install root
// (the app id "upkeep") is never removed.
#include "upkeep/admin/user_data_purge.h"

#include <catch2/catch.hpp>

#include "test_support.h"

using namespace upkeep;
using namespace upkeep::admin;
using namespace upkeep::test;

namespace {

InstallPaths::Env env_of(const TempDir& dir) {
  return [base = dir.path().string()](const char* name) -> const char* {
    static thread_local std::string value;
    const std::string n = name;
    if (n == "HOME")
      value = base + "/home";
    else if (n == "XDG_DATA_HOME")
      value = base + "/data";
    else if (n == "XDG_CONFIG_HOME")
      value = base + "/config";
    else if (n == "XDG_STATE_HOME")
      value = base + "/state";
    else if (n == "XDG_CACHE_HOME")
      value = base + "/cache";
    else
      return nullptr;
    return value.c_str();
  };
}

}  // namespace

TEST_CASE("user data purge: the XDG rules name the app's folders, only they go", "[admin][uninstall]") {
  TempDir dir;
  write_text(dir / "config" / "demo" / "a.ini", "x");
  write_text(dir / "cache" / "demo" / "b", "x");
  write_text(dir / "config" / "demo2" / "keep", "x");  // a name that starts alike
  const UserDataPurge purge = UserDataPurge::by_rules("demo", InstallScope::kUser, env_of(dir));
  CHECK(purge.folders == std::vector<std::filesystem::path>{dir / "config" / "demo", dir / "data" / "demo",
                                                            dir / "state" / "demo", dir / "cache" / "demo"});
  std::string problem;
  CHECK(purge.run(problem) == std::vector<std::filesystem::path>{dir / "config" / "demo", dir / "cache" / "demo"});
  CHECK(problem.empty());
  CHECK_FALSE(std::filesystem::exists(dir / "config" / "demo"));
  CHECK(std::filesystem::exists(dir / "config" / "demo2" / "keep"));
}

TEST_CASE("user data purge: a folder that holds an install root is never removed", "[admin][uninstall]") {
  TempDir dir;
  // App id "upkeep": its data folder $XDG_DATA_HOME/upkeep holds every per-user root, its own among them.
  write_text(dir / "data" / "upkeep" / "upkeep" / "state.db", "x");
  write_text(dir / "data" / "upkeep" / "other" / "state.db", "x");
  write_text(dir / "config" / "upkeep" / "settings", "x");
  const UserDataPurge purge = UserDataPurge::by_rules("upkeep", InstallScope::kUser, env_of(dir));
  std::string problem;
  CHECK(purge.run(problem) == std::vector<std::filesystem::path>{dir / "config" / "upkeep"});
  CHECK(problem == (dir / "data" / "upkeep").string() + " holds an install root: not removed");
  CHECK(std::filesystem::exists(dir / "data" / "upkeep" / "other" / "state.db"));
}
