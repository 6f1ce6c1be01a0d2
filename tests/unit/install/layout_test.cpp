#include "upkeep/install/layout.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "test_support.h"

using upkeep::Layout;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;

TEST_CASE("layout paths derive from the root, and the root from the launcher's path", "[layout]") {
  Layout l = Layout::from_executable("/opt/app/app");
  CHECK(l.root() == stdfs::path("/opt/app"));
  CHECK(l.current_link() == stdfs::path("/opt/app/current"));
  CHECK(l.version_dir("1.2.3") == stdfs::path("/opt/app/versions/1.2.3"));
  CHECK(l.staged_dir("1.2.3") == stdfs::path("/opt/app/staging/1.2.3"));
  CHECK(l.manifest_file("1.2.3") == stdfs::path("/opt/app/manifests/1.2.3.json"));
  CHECK(l.state_db() == stdfs::path("/opt/app/state.db"));
  CHECK(l.pending_marker() == stdfs::path("/opt/app/.pending"));
  CHECK(l.lock_file() == stdfs::path("/opt/app/.lock"));
}

TEST_CASE("current_version reads versions/<v> links only", "[layout]") {
  TempDir dir;
  Layout l(dir.path());
  SECTION("no link") { CHECK_FALSE(l.current_version().has_value()); }
  SECTION("a link to versions/<v>, even when the folder is missing") {
    stdfs::create_symlink("versions/1.4.2", l.current_link());
    CHECK(l.current_version() == std::optional<std::string>("1.4.2"));
  }
  SECTION("a regular file named current") {
    write_text(l.current_link(), "versions/1.0.0");
    CHECK_FALSE(l.current_version().has_value());
  }
  SECTION("links elsewhere") {
    for (const char* target : {"../x", "versions/x/y", "/abs/versions/x", "versions", "versions/..", "versions/.",
                               "other/x", "./versions/x"}) {
      INFO(target);
      std::error_code ec;
      stdfs::remove(l.current_link(), ec);
      stdfs::create_symlink(target, l.current_link());
      CHECK_FALSE(l.current_version().has_value());
    }
  }
}

TEST_CASE("switch_current points current at versions/<v> with a relative link, leaving no temp files", "[layout]") {
  TempDir dir;
  Layout l(dir.path());
  stdfs::create_directories(l.version_dir("1.0.0"));
  stdfs::create_directories(l.version_dir("2.0.0"));
  write_text(l.version_dir("2.0.0") / "marker", "two");

  l.switch_current("1.0.0");
  CHECK(l.current_version() == std::optional<std::string>("1.0.0"));
  l.switch_current("2.0.0");
  CHECK(l.current_version() == std::optional<std::string>("2.0.0"));

  struct stat st {};
  REQUIRE(::lstat(l.current_link().c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
  CHECK(stdfs::read_symlink(l.current_link()) == stdfs::path("versions/2.0.0"));
  CHECK(stdfs::exists(l.current_link() / "marker"));

  // Only `current` and `versions` in the root: the link was renamed into place.
  std::vector<std::string> names;
  for (const auto& e : stdfs::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"current", "versions"});

  // The root can move: the relative link still resolves.
  stdfs::rename(dir.path(), dir.path().string() + "-moved");
  Layout moved(dir.path().string() + "-moved");
  CHECK(stdfs::exists(moved.current_link() / "marker"));
  stdfs::rename(dir.path().string() + "-moved", dir.path());
}

TEST_CASE("switch_current replaces a regular file named current", "[layout]") {
  // rename(2) over a file works: a stray file does not block the switch.
  TempDir dir;
  Layout l(dir.path());
  write_text(l.current_link(), "junk");
  l.switch_current("3.0.0");
  CHECK(l.current_version() == std::optional<std::string>("3.0.0"));
}
