// `upkeep uninstall` and `uninstall --purge` in either order (issue #19):
// real installs into a home whose XDG folders are temporary, the user data
// the application made in each of them, and exactly what each step removes.
#include <set>

#include "release_fixture.h"

using namespace upkeep::test;

namespace {

// A home with each XDG variable set to a folder of its own (not the defaults under HOME).
struct XdgHome {
  TempDir dir;
  std::map<std::string, std::string> env() const {
    return {{"HOME", (dir / "home").string()},
            {"XDG_DATA_HOME", (dir / "data").string()},
            {"XDG_CONFIG_HOME", (dir / "config").string()},
            {"XDG_STATE_HOME", (dir / "state").string()},
            {"XDG_CACHE_HOME", (dir / "cache").string()}};
  }
  stdfs::path root() const { return dir / "data" / "upkeep" / "demo"; }
  // What the application keeps in each XDG folder, and what another application keeps beside it.
  void write_user_data() const {
    for (const char* kind : {"data", "config", "state", "cache"}) {
      write_text(dir / kind / "demo" / "file.txt", kind);
      write_text(dir / kind / "other-app" / "file.txt", kind);
    }
  }
  // Every file and folder below the temporary folder, relative to it.
  std::set<std::string> listing() const {
    std::set<std::string> out;
    for (const auto& e : stdfs::recursive_directory_iterator(dir.path()))
      out.insert(stdfs::relative(e.path(), dir.path()).string());
    return out;
  }
};

std::set<std::string> without_prefix(std::set<std::string> s, const std::string& prefix) {
  std::erase_if(s, [&](const std::string& p) { return p == prefix || p.rfind(prefix + "/", 0) == 0; });
  return s;
}

std::set<std::string> user_data_removed(std::set<std::string> s) {
  for (const char* kind : {"data/demo", "config/demo", "state/demo", "cache/demo"}) s = without_prefix(s, kind);
  return s;
}

upkeep::Json uninstall(const XdgHome& home, std::vector<std::string> extra) {
  std::vector<std::string> argv{program("upkeep").string(), "uninstall", "--json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return upkeep::Json::parse(run_ok(argv, home.env()).out, "uninstall --json");
}

std::set<std::string> purged(const upkeep::Json& j) {
  std::set<std::string> out;
  for (const auto& p : j.get_array("purged")) out.insert(p.as_string());
  return out;
}

}  // namespace

TEST_CASE("uninstall then, later, uninstall --purge still removes the user data by the XDG rules, and nothing else",
          "[uninstall][install][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess server(vendor.repo());
  XdgHome home;
  run_ok({program("upkeep").string(), "install", "--repo", server.url, "--trusted-root", vendor.root_json().string(),
          "--no-shortcut"},
         home.env());
  REQUIRE(stdfs::exists(home.root() / "demo"));
  home.write_user_data();
  const auto before = home.listing();

  const upkeep::Json plain = uninstall(home, {"--app-id", "demo"});
  CHECK(plain.get_bool("removed"));
  CHECK(purged(plain).empty());
  const auto after_plain = home.listing();
  CHECK(after_plain == without_prefix(before, "data/upkeep/demo"));  // the root only: user data kept

  const upkeep::Json purge = uninstall(home, {"--app-id", "demo", "--purge"});
  CHECK_FALSE(purge.get_bool("removed"));  // nothing installed any more
  CHECK(purged(purge) ==
        std::set<std::string>{(home.dir / "config" / "demo").string(), (home.dir / "data" / "demo").string(),
                              (home.dir / "state" / "demo").string(), (home.dir / "cache" / "demo").string()});
  CHECK(home.listing() == user_data_removed(after_plain));  // the other application's folders stay
  CHECK(stdfs::exists(home.dir / "config" / "other-app" / "file.txt"));

  // Without --app-id nothing names the user data any more: said, nothing removed, still success.
  const auto left = home.listing();
  RunResult by_prefix =
      run_ok({program("upkeep").string(), "uninstall", "--prefix", home.root().string(), "--purge"}, home.env());
  CHECK(contains(by_prefix.err, "give --app-id ID"));
  CHECK(home.listing() == left);
}

TEST_CASE("uninstall --purge first removes the root and the user data, a later uninstall finds nothing",
          "[uninstall][install][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess server(vendor.repo());
  XdgHome home;
  run_ok({program("upkeep").string(), "install", "--repo", server.url, "--trusted-root", vendor.root_json().string(),
          "--no-shortcut"},
         home.env());
  home.write_user_data();
  const auto before = home.listing();

  const upkeep::Json purge = uninstall(home, {"--app-id", "demo", "--purge"});
  CHECK(purge.get_bool("removed"));
  CHECK(purged(purge).size() == 4);
  const auto after = home.listing();
  CHECK(after == user_data_removed(without_prefix(before, "data/upkeep/demo")));

  for (const std::vector<std::string>& again :
       {std::vector<std::string>{"--app-id", "demo"}, std::vector<std::string>{"--app-id", "demo", "--purge"}}) {
    const upkeep::Json j = uninstall(home, again);
    CHECK_FALSE(j.get_bool("removed"));
    CHECK(purged(j).empty());
    CHECK(home.listing() == after);
  }
}
