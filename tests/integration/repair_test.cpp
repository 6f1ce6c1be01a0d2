// `upkeep repair` through the real programs: an installed version whose
// files were deleted, changed, re-moded and joined by strays is put back to
// its signed manifest, from another kept version when it holds the content
// and from the downloaded package otherwise; a lost manifest is fetched
// again; with the repository unreachable it fails cleanly (exit 6).
#include <sys/stat.h>

#include <optional>
#include <set>

#include "release_fixture.h"

using namespace upkeep::test;
using upkeep::Json;

namespace {

RunResult repair(const stdfs::path& prefix) {
  return run({program("upkeep").string(), "repair", "--prefix", prefix.string(), "--json"});
}

Json repaired(const stdfs::path& prefix) {
  RunResult r = repair(prefix);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
  return Json::parse(r.out, "repair --json");
}

std::set<std::string> names(const Json& j, const char* key) {
  std::set<std::string> out;
  for (const auto& v : j.get_array(key)) out.insert(v.as_string());
  return out;
}

uint32_t mode_of(const stdfs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("repair: deleted, changed and re-moded files come back from the package, and strays are removed",
          "[repair][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");
  const stdfs::path v = app.prefix() / "versions" / "1.0.0";

  // Intact: nothing to do, nothing downloaded.
  Json clean = repaired(app.prefix());
  CHECK(clean.get_bool("intact"));
  CHECK(clean.get_int("checked") == 3);
  CHECK(clean.get_int("bytes_downloaded") == 0);

  const std::string readme = read_text(v / "share" / "readme.txt");
  stdfs::remove(v / "share" / "readme.txt");
  write_text(v / "VERSION", "6.6.6\n");
  stdfs::permissions(v / "mainapp", static_cast<stdfs::perms>(0700));
  write_text(v / "stray.txt", "left by someone\n");
  stdfs::create_directories(v / "junk" / "deeper");
  write_text(v / "junk" / "deeper" / "x", "x");

  Json r = repaired(app.prefix());
  CHECK_FALSE(r.get_bool("intact"));
  CHECK(names(r, "restored") == std::set<std::string>{"VERSION", "share/readme.txt"});
  CHECK(names(r, "modes") == std::set<std::string>{"mainapp"});
  CHECK(names(r, "removed") == std::set<std::string>{"junk", "stray.txt"});
  CHECK(r.get_int("bytes_downloaded") > 0);  // no other version holds these contents: the package
  CHECK(read_text(v / "VERSION") == "1.0.0\n");
  CHECK(read_text(v / "share" / "readme.txt") == readme);
  CHECK(mode_of(v / "mainapp") == 0755);
  CHECK_FALSE(stdfs::exists(v / "stray.txt"));
  CHECK_FALSE(stdfs::exists(v / "junk"));
  CHECK_FALSE(stdfs::exists(app.prefix() / "staging" / "1.0.0.repair.zip"));
  CHECK(app.has_event("repaired", "1.0.0"));
  CHECK(run_ok({app.launcher().string(), "--version"}).out == "mainapp 1.0.0\n");

  // And again: intact.
  CHECK(repaired(app.prefix()).get_bool("intact"));

  // The human-readable form names what it did.
  stdfs::remove(v / "VERSION");
  RunResult text = run_ok({program("upkeep").string(), "repair", "--prefix", app.prefix().string()});
  CHECK(contains(text.out, "restored VERSION\n"));
  CHECK(contains(text.out, "repaired"));
}

TEST_CASE("repair: content another kept version holds is copied, not downloaded, and a lost manifest is fetched again",
          "[repair][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  std::optional<RepoServerProcess> server(std::in_place, vendor.repo());
  Installed app(server->url, vendor.root_json(), "1.0.0");
  // An update to 2.0.0 through the real updater and launcher; 1.0.0 stays as the version to go back to.
  run_ok({(app.prefix() / "upkeep-updater").string(), "--root", app.prefix().string(), "--check-now"});
  REQUIRE(run_ok({app.launcher().string(), "--version"}).out == "mainapp 2.0.0\n");
  REQUIRE(stdfs::exists(app.prefix() / "versions" / "1.0.0" / "mainapp"));

  // The main program is the same bytes in both versions; with the repository down it still comes back.
  const stdfs::path v2 = app.prefix() / "versions" / "2.0.0";
  const std::string program_bytes = read_text(v2 / "mainapp");
  write_text(v2 / "mainapp", "#!/bin/sh\necho replaced\n");
  server.reset();
  Json r = repaired(app.prefix());
  CHECK(r.get_string("version") == "2.0.0");
  CHECK(names(r, "restored") == std::set<std::string>{"mainapp"});
  CHECK(r.get_int("bytes_downloaded") == 0);
  CHECK(read_text(v2 / "mainapp") == program_bytes);
  CHECK(mode_of(v2 / "mainapp") == 0755);

  // A file only the package holds, with the repository down: exit 6, and the folder is as it was.
  stdfs::remove(v2 / "VERSION");
  RunResult down = repair(app.prefix());
  CHECK(down.exit_code == 6);
  CHECK_FALSE(stdfs::exists(v2 / "VERSION"));
  CHECK(read_text(v2 / "mainapp") == program_bytes);

  // A lost manifest, with the repository back: fetched again, checked against its signed hash.
  RepoServerProcess again(vendor.repo());
  Json config = Json::parse(read_text(app.prefix() / "config.json"), "config.json");
  config["repository"] = again.url;
  write_text(app.prefix() / "config.json", config.dump());
  stdfs::remove(app.prefix() / "manifests" / "2.0.0.json");
  Json m = repaired(app.prefix());
  CHECK(m.get_bool("manifest_refetched"));
  CHECK(names(m, "restored") == std::set<std::string>{"VERSION"});
  CHECK(read_text(v2 / "VERSION") == "2.0.0\n");
  CHECK(stdfs::exists(app.prefix() / "manifests" / "2.0.0.json"));
  CHECK(run_ok({app.launcher().string(), "--version"}).out == "mainapp 2.0.0\n");

  // Not an install: exit 9, naming the folder.
  TempDir empty;
  RunResult none = repair(empty.path());
  CHECK(none.exit_code == 9);
  CHECK(contains(none.err, empty.path().string()));
}
