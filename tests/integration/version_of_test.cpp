// `upkeep version-of`, `upkeep compare` and `upkeep release --version-from`,
// run as the real program on files built by the real tools.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "release_fixture.h"
#include "test_support.h"
#include "unit/fileinfo/program_fixtures.h"
#include "upkeep/base/json.h"

namespace upkeep::test {
namespace {

RunResult upkeep_run(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) {
  std::vector<std::string> argv{program("upkeep").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, env);
}

// The shell block of docs/vendor-guide.md that adds the version note, as a vendor copies it.
std::string note_recipe() {
  const std::string guide = read_text(source_dir() / "docs" / "vendor-guide.md");
  const size_t start = guide.find("# VERSION and APP set by the build");
  REQUIRE(start != std::string::npos);
  const size_t end = guide.find("```", start);
  REQUIRE(end != std::string::npos);
  return guide.substr(start, end - start);
}

TEST_CASE("upkeep version-of prints a Windows exe's version and fields, as text and JSON", "[version_of]") {
  TempDir dir;
  const auto exe = mingw_program(dir.path(), "app.exe", version_rc());
  RunResult r = run_ok({program("upkeep").string(), "version-of", exe.string()});
  CHECK(r.out.substr(0, r.out.find('\n')) == "2.0.0-rc.1");
  CHECK(contains(r.out, "file version (fixed): 1.2.3.4"));
  CHECK(contains(r.out, "CompanyName: Grüße GmbH"));
  r = run_ok({program("upkeep").string(), "version-of", exe.string(), "--json"});
  const Json j = Json::parse(r.out, "version-of --json");
  CHECK(j.get_string("kind") == "pe");
  CHECK(j.get_string("version") == "2.0.0-rc.1");
  CHECK(j.get_string("product_version") == "2.0.0.0");
  CHECK(j.get_string("file") == exe.string());
}

TEST_CASE("upkeep version-of fails with the error's exit code, in JSON too", "[version_of]") {
  TempDir dir;
  const auto bare = mingw_program(dir.path(), "bare.exe", "");
  RunResult r = upkeep_run({"version-of", bare.string(), "--json"});
  CHECK(r.exit_code == 9);
  const Json j = Json::parse(r.out, "version-of --json");
  CHECK(j.at("error").get_int("code") == 9);
  CHECK(j.at("error").get_string("name") == "not_found");
  CHECK(contains(j.at("error").get_string("message"), "no VERSIONINFO resource"));
  write_text(dir / "notes.txt", "hello");
  r = upkeep_run({"version-of", (dir / "notes.txt").string()});
  CHECK(r.exit_code == 10);
  CHECK(contains(r.err, "expected a Windows PE file"));
  CHECK(upkeep_run({"version-of"}).exit_code == 2);
  CHECK(upkeep_run({"version-of", "a", "b"}).exit_code == 2);
  CHECK(upkeep_run({"version-of", "--nope", bare.string()}).exit_code == 2);
}

TEST_CASE("upkeep version-of --run-version runs an ELF program only when asked", "[version_of]") {
  TempDir dir;
  const stdfs::path marker = dir / "ran";
  const auto app = gcc_program(dir.path(), "app", "",
                               "FILE* f = fopen(\"" + marker.string() +
                                   "\", \"w\"); if (f) fclose(f); "
                                   "puts(\"app 4.5.6\"); return 0;");
  RunResult r = upkeep_run({"version-of", app.string()});
  CHECK(r.exit_code == 9);
  CHECK(contains(r.err, "--run-version"));
  CHECK_FALSE(stdfs::exists(marker));
  r = run_ok({program("upkeep").string(), "version-of", app.string(), "--run-version"});
  CHECK(r.out.substr(0, r.out.find('\n')) == "4.5.6");
  CHECK(stdfs::exists(marker));
}

TEST_CASE("the vendor guide's note recipe works as written on a linked program", "[version_of]") {
  TempDir dir;
  const auto app = gcc_program(dir.path(), "myapp", "");
  run_tool({"/usr/bin/strip", app.string()});
  const std::string path = program("upkeep").parent_path().string() + ":" + std::getenv("PATH");
  RunResult r =
      run({"/bin/sh", "-euc", "cd \"$WORK\" && " + note_recipe()},
          {{"VERSION", "3.1.0-beta.2"}, {"APP", app.string()}, {"WORK", dir.path().string()}, {"PATH", path}});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.substr(0, r.out.find('\n')) == "3.1.0-beta.2");
  RunResult started = run({app.string()});
  CHECK(started.exit_code == 0);  // the program still runs
}

// Every ordered pair of a chain (strictly increasing) through the CLI.
void check_chain(const std::vector<std::string>& chain) {
  for (size_t i = 0; i < chain.size(); ++i)
    for (size_t k = 0; k < chain.size(); ++k) {
      RunResult r = upkeep_run({"compare", chain[i], chain[k]});
      INFO(chain[i] << " vs " << chain[k] << ": " << r.err);
      CHECK(r.exit_code == 0);
      CHECK(r.out == (i < k ? "-1\n" : i > k ? "1\n" : "0\n"));
    }
}

TEST_CASE("upkeep compare orders the SemVer 2.0.0 section 11 examples", "[version_of][compare]") {
  check_chain({"1.0.0", "2.0.0", "2.1.0", "2.1.1"});
  check_chain({"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
               "1.0.0-rc.1", "1.0.0"});
  CHECK(upkeep_run({"compare", "1.0.0+build.1", "1.0.0+build.2"}).out == "0\n");  // build metadata is ignored
}

TEST_CASE("upkeep compare: Windows four-part versions and Android versionCodes", "[version_of][compare]") {
  check_chain({"6.3.9600.1", "10.0.19041.1", "10.0.19041.2", "10.0.19042.0"});
  check_chain({"9", "10", "42", "1000"});
  CHECK(upkeep_run({"compare", "1.2", "1.2.0.0"}).out == "0\n");
  const Json j = Json::parse(upkeep_run({"compare", "10.0.1", "9.9", "--json"}).out, "compare --json");
  CHECK(j.get_int("result") == 1);
}

TEST_CASE("upkeep compare refuses what is no version (exit 10) and bad command lines (exit 2)",
          "[version_of][compare]") {
  RunResult r = upkeep_run({"compare", "1.0.0", "v2"});
  CHECK(r.exit_code == 10);
  CHECK(contains(r.err, "compare: B: 'v2' is not a version"));
  r = upkeep_run({"compare", "x.y", "1", "--json"});
  CHECK(r.exit_code == 10);
  CHECK(contains(Json::parse(r.out, "compare --json").at("error").get_string("message"),
                 "compare: A: 'x.y' is not a version"));
  CHECK(upkeep_run({"compare", "1.0"}).exit_code == 2);
  CHECK(upkeep_run({"compare", "1", "2", "3"}).exit_code == 2);
  CHECK(upkeep_run({"compare", "--help"}).exit_code == 0);
}

TEST_CASE("upkeep release --version-from takes the version of a mingw-built exe", "[version_of][release]") {
  VendorRepo vendor;
  const stdfs::path folder = vendor.build_folder("from-exe");
  stdfs::create_directories(folder / "win");
  const auto exe = mingw_program(folder / "win", "app.exe", version_rc());
  for (const char* source : {"app.exe.c", "app.exe.rc", "app.exe.res.o"}) stdfs::remove(folder / "win" / source);
  auto release = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> argv{"release", folder.string(),        "--keys",     vendor.keys().string(),
                                  "--repo",  vendor.repo().string(), "--no-delta", "--program",
                                  "mainapp"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return upkeep_run(argv);
  };
  SECTION("released under the exe's version") {
    RunResult r = release({"--version-from", "win/app.exe"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, "version 2.0.0-rc.1 from win/app.exe (pe, StringFileInfo ProductVersion)"));
    CHECK(contains(r.out, "released demo 2.0.0-rc.1"));
    CHECK(stdfs::is_directory(vendor.repo() / "targets" / "demo" / "2.0.0-rc.1"));
    CHECK(contains(read_text(vendor.package_file("2.0.0-rc.1")), "PK"));
  }
  SECTION("refused: both, neither, a path out of DIR, a link out of DIR, a file with no version") {
    CHECK(release({"--version-from", "win/app.exe", "--version", "1.0.0"}).exit_code == 2);
    CHECK(release({}).exit_code == 2);
    RunResult r = release({"--version-from", exe.string()});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "expected a path relative to the build folder"));
    CHECK(release({"--version-from", "win/../../x.exe"}).exit_code == 2);
    const auto outside = mingw_program(vendor.dir().path(), "outside.exe", version_rc());
    stdfs::create_symlink(outside, folder / "outside-link.exe");
    r = release({"--version-from", "outside-link.exe"});
    CHECK(r.exit_code == 10);
    CHECK(contains(r.err, "outside"));
    stdfs::remove(folder / "outside-link.exe");
    r = release({"--version-from", "mainapp"});
    CHECK(r.exit_code == 9);
    CHECK(contains(r.err, "no .note.upkeep.version note"));
    CHECK_FALSE(stdfs::exists(vendor.repo() / "targets" / "demo" / "2.0.0-rc.1"));
  }
}

}  // namespace
}  // namespace upkeep::test
