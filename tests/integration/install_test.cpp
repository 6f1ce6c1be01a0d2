// upkeep install / uninstall against a real served repository.
#include "release_fixture.h"

using namespace upkeep::test;

namespace {
std::vector<std::string> install_cmd(const std::string& url, const stdfs::path& prefix, const stdfs::path& root_json) {
  return {program("upkeep").string(), "install",         "--repo", url, "--prefix", prefix.string(),
          "--trusted-root",           root_json.string()};
}
}  // namespace

TEST_CASE("install picks the newest release, lays out the root, and uninstall removes it twice safely",
          "[install][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("1.2.0"), "1.2.0");
  RepoServerProcess server(vendor.repo());
  TempDir dir;
  stdfs::path prefix = dir / "app";

  RunResult r = run_ok(install_cmd(server.url, prefix, vendor.root_json()));
  CHECK(contains(r.out, "installed demo 1.2.0 into " + prefix.string()));
  CHECK(stdfs::read_symlink(prefix / "current") == "versions/1.2.0");
  for (const char* p : {"demo", "config.json", "state.db", "trust/root.json", "manifests/1.2.0.json",
                        "versions/1.2.0/mainapp", "versions/1.2.0/share/readme.txt"})
    CHECK(stdfs::exists(prefix / p));
  CHECK(stdfs::is_empty(prefix / "staging"));
  CHECK_FALSE(stdfs::exists(prefix / ".pending"));
  CHECK(run_ok({(prefix / "demo").string(), "--version"}).out == "mainapp 1.2.0\n");

  // A second install into the same root is refused and changes nothing.
  RunResult again = run(install_cmd(server.url, prefix, vendor.root_json()));
  CHECK(again.exit_code == 8);
  CHECK(contains(again.err, "already holds an installed application"));
  CHECK(stdfs::read_symlink(prefix / "current") == "versions/1.2.0");

  CHECK(contains(run_ok({program("upkeep").string(), "uninstall", "--prefix", prefix.string()}).out, "removed"));
  CHECK_FALSE(stdfs::exists(prefix));
  CHECK(contains(run_ok({program("upkeep").string(), "uninstall", "--prefix", prefix.string()}).out,
                 "nothing installed"));
}

TEST_CASE("install --json and --silent", "[install][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess server(vendor.repo());
  TempDir dir;
  auto cmd = install_cmd(server.url, dir / "a", vendor.root_json());
  cmd.push_back("--json");
  auto j = upkeep::Json::parse(run_ok(cmd).out, "install --json");
  CHECK(j.get_string("version") == "1.0.0");
  CHECK(j.get_string("app_id") == "demo");
  CHECK(j.get_bool("trusted_on_first_use") == false);

  auto silent = install_cmd(server.url, dir / "b", vendor.root_json());
  silent.push_back("--silent");
  RunResult r = run_ok(silent);
  CHECK(r.out.empty());
  CHECK(r.err.empty());
}

TEST_CASE("install failures name the problem and leave nothing behind", "[install][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess server(vendor.repo());
  TempDir dir;
  stdfs::path prefix = dir / "app";

  SECTION("unknown version") {
    auto cmd = install_cmd(server.url, prefix, vendor.root_json());
    cmd.insert(cmd.end(), {"--version", "9.9.9"});
    RunResult r = run(cmd);
    CHECK(r.exit_code == 9);
    CHECK(contains(r.err, "version 9.9.9 of demo"));
  }
  SECTION("a root of keys the repository was not signed with") {
    VendorRepo other;
    RunResult r = run(install_cmd(server.url, prefix, other.root_json()));
    CHECK(r.exit_code == 5);
    CHECK(contains(r.err, "signature"));
  }
  SECTION("an unreachable repository") {
    RunResult r = run(install_cmd("http://127.0.0.1:1/", prefix, vendor.root_json()));
    CHECK(r.exit_code == 6);
    CHECK(contains(r.err, "127.0.0.1:1"));
  }
  SECTION("a tampered package") {
    auto pkg = vendor.package_file("1.0.0");
    std::string bytes = read_text(pkg);
    bytes[bytes.size() / 3] ^= 1;
    write_text(pkg, bytes);
    RunResult r = run(install_cmd(server.url, prefix, vendor.root_json()));
    CHECK(r.exit_code == 5);
    CHECK(contains(r.err, "SHA-256"));
  }
  CHECK_FALSE(stdfs::exists(prefix));
}

TEST_CASE("install without a pinned root trusts the repository's first root and says so", "[install][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess server(vendor.repo());
  TempDir dir;
  RunResult r =
      run_ok({program("upkeep").string(), "install", "--repo", server.url, "--prefix", (dir / "app").string()});
  CHECK(contains(r.out, "trusted the repository's root keys on first use"));
  CHECK(read_text(dir / "app" / "trust" / "root.json").find("\"_type\"") != std::string::npos);
}
