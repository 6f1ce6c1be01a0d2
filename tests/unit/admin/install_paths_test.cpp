#include "upkeep/admin/install_paths.h"

#include <catch2/catch.hpp>
#include <map>

#include "expect_error.h"

using upkeep::ErrorCode;
namespace admin = upkeep::admin;
namespace stdfs = std::filesystem;

namespace {

admin::InstallPaths::Env env_of(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

}  // namespace

TEST_CASE("per-user paths are the XDG defaults under HOME", "[install_paths]") {
  const admin::InstallPaths p =
      admin::InstallPaths::resolve(admin::InstallScope::kUser, "demo", {}, env_of({{"HOME", "/home/ann"}}));
  CHECK(p.root == "/home/ann/.local/share/upkeep/demo");
  CHECK(p.applications_dir == "/home/ann/.local/share/applications");
  CHECK(p.icons_dir == "/home/ann/.local/share/icons");
  CHECK(p.log_dir == "/home/ann/.local/state/upkeep");
  CHECK(p.user_data == std::vector<stdfs::path>{"/home/ann/.config/demo", "/home/ann/.local/share/demo",
                                                "/home/ann/.local/state/demo", "/home/ann/.cache/demo"});
}

TEST_CASE("absolute XDG variables are used, and empty or relative ones mean the default", "[install_paths]") {
  const admin::InstallPaths p = admin::InstallPaths::resolve(admin::InstallScope::kUser, "demo", {},
                                                             env_of({{"HOME", "/home/ann"},
                                                                     {"XDG_DATA_HOME", "/data"},
                                                                     {"XDG_CONFIG_HOME", "relative/cfg"},
                                                                     {"XDG_STATE_HOME", ""},
                                                                     {"XDG_CACHE_HOME", "/var/cache/ann"}}));
  CHECK(p.root == "/data/upkeep/demo");
  CHECK(p.applications_dir == "/data/applications");
  CHECK(p.user_data == std::vector<stdfs::path>{"/home/ann/.config/demo", "/data/demo", "/home/ann/.local/state/demo",
                                                "/var/cache/ann/demo"});
}

TEST_CASE("the user's data home is $XDG_DATA_HOME/<app-id>, else under HOME, whatever the scope", "[install_paths]") {
  CHECK(admin::InstallPaths::user_data_home("demo", env_of({{"HOME", "/home/ann"}})) == "/home/ann/.local/share/demo");
  CHECK(admin::InstallPaths::user_data_home("demo", env_of({{"XDG_DATA_HOME", "/data"}})) == "/data/demo");
  CHECK(upkeep::test::error_of([] { admin::InstallPaths::user_data_home("demo", env_of({})); }, ErrorCode::kUsage) ==
        "HOME is not set to an absolute path; give --prefix (and --applications-dir)");
  upkeep::test::error_of(
      [] {
        admin::InstallPaths::user_data_home(".hidden", env_of({{"HOME", "/h"}}));
      },
      ErrorCode::kBadInput);
}

TEST_CASE("per-machine paths are /opt and /usr/share, and need no HOME", "[install_paths]") {
  const admin::InstallPaths p = admin::InstallPaths::resolve(admin::InstallScope::kSystem, "demo", {}, env_of({}));
  CHECK(p.root == "/opt/demo");
  CHECK(p.applications_dir == "/usr/share/applications");
  CHECK(p.icons_dir == "/usr/share/icons");
  CHECK(p.user_data == std::vector<stdfs::path>{"/var/lib/demo"});
}

TEST_CASE("every path can be overridden", "[install_paths]") {
  admin::InstallPathOverrides o;
  o.prefix = "/tmp/r";
  o.applications_dir = "/tmp/a";
  o.icons_dir = "/tmp/i";
  for (admin::InstallScope s : {admin::InstallScope::kUser, admin::InstallScope::kSystem}) {
    const admin::InstallPaths p = admin::InstallPaths::resolve(s, "demo", o, env_of({{"HOME", "/home/ann"}}));
    CHECK(p.root == "/tmp/r");
    CHECK(p.applications_dir == "/tmp/a");
    CHECK(p.icons_dir == "/tmp/i");
  }
}

TEST_CASE("per-user paths without HOME, and app ids that cannot name a folder, are errors", "[install_paths]") {
  CHECK(upkeep::test::error_of([] { admin::InstallPaths::resolve(admin::InstallScope::kUser, "demo", {}, env_of({})); },
                               ErrorCode::kUsage)
            .find("HOME") != std::string::npos);
  CHECK(upkeep::test::error_of(
            [] {
              admin::InstallPaths::resolve(admin::InstallScope::kUser, "demo", {}, env_of({{"HOME", "relative"}}));
            },
            ErrorCode::kUsage)
            .find("absolute") != std::string::npos);
  for (const char* bad : {"", "a/b", ".hidden", ".."})
    CHECK(
        upkeep::test::error_of([&] { admin::InstallPaths::resolve(admin::InstallScope::kSystem, bad, {}, env_of({})); },
                               ErrorCode::kBadInput)
            .find("cannot name a file") != std::string::npos);
}
