#include "upkeep/publish/release_program.h"

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/base/error.h"

using upkeep::ErrorCode;
using upkeep::HealthRule;
using upkeep::publish::ReleaseProgram;
using upkeep::test::error_of;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;

namespace {

void write_file(const stdfs::path& p, int mode) {
  write_text(p, "#!/bin/sh\n");
  stdfs::permissions(p, static_cast<stdfs::perms>(mode));
}

std::string usage_error(const stdfs::path& dir, const std::optional<std::string>& program,
                        const std::vector<std::string>& args = {}, const std::string& health = "running:10") {
  return error_of([&] { ReleaseProgram::declare(dir, program, args, health); }, ErrorCode::kUsage);
}

}  // namespace

TEST_CASE("without --program the one executable at the top of the folder is the program", "[release_program]") {
  TempDir tmp;
  write_file(tmp / "hello", 0755);
  write_file(tmp / "README", 0644);
  write_file(tmp / "lib/helper", 0755);  // below the top: not a candidate
  stdfs::create_symlink("hello", tmp / "hello-link");
  const ReleaseProgram p = ReleaseProgram::declare(tmp.path(), std::nullopt, {"--a", "b c"}, "running:10");
  CHECK(p.launch.program == "hello");
  CHECK(p.only_executable);
  CHECK(p.launch.args == std::vector<std::string>{"--a", "b c"});
  CHECK(p.launch.health == HealthRule::parse("running:10"));
}

TEST_CASE("without --program, none or several top-level executables are refused, listing candidates",
          "[release_program]") {
  TempDir tmp;
  write_file(tmp / "README", 0644);
  SECTION("none anywhere") {
    CHECK(usage_error(tmp.path(), std::nullopt) ==
          tmp.path().string() +
              " holds no executable file at its top level (nor anywhere below it: is its x bit set?). Name the "
              "program the launcher starts with --program REL/PATH.");
  }
  SECTION("none at the top, some below") {
    write_file(tmp / "bin/hello", 0755);
    write_file(tmp / "bin/tool", 0700);
    CHECK(usage_error(tmp.path(), std::nullopt) ==
          tmp.path().string() +
              " holds no executable file at its top level (executables below it: bin/hello, bin/tool). Name the "
              "program the launcher starts with --program REL/PATH.");
  }
  SECTION("several") {
    write_file(tmp / "b", 0755);
    write_file(tmp / "a", 0755);
    CHECK(usage_error(tmp.path(), std::nullopt) ==
          tmp.path().string() +
              " holds 2 executable files at its top level (a, b). Name the program the launcher starts with "
              "--program REL/PATH.");
  }
  SECTION("a missing folder") {
    error_of([&] { ReleaseProgram::declare(tmp / "nope", std::nullopt, {}, "exit"); }, ErrorCode::kNotFound);
  }
}

TEST_CASE("the values of --program, --arg and --health are checked before the folder", "[release_program]") {
  TempDir tmp;
  write_file(tmp / "bin/hello", 0755);
  const ReleaseProgram p = ReleaseProgram::declare(tmp.path(), "bin/hello", {}, "exit");
  CHECK(p.launch.program == "bin/hello");
  CHECK_FALSE(p.only_executable);
  CHECK(p.launch.health.kind == HealthRule::Kind::kExit);
  // The file itself is FileManifest::from_directory's check (exit 10): any safe name passes here.
  CHECK(ReleaseProgram::declare(tmp.path(), "bin/missing", {}, "confirm").launch.program == "bin/missing");

  CHECK(usage_error(tmp.path(), "../hello") ==
        "--program '../hello' has a '..' component (expected a path relative to the build folder, e.g. bin/app)");
  CHECK(usage_error(tmp.path(), "/usr/bin/hello").find("--program '/usr/bin/hello' is absolute") == 0);
  CHECK(usage_error(tmp.path(), "bin/hello", {}, "sometimes") ==
        "--health is 'sometimes', expected confirm, running:SECONDS (1..3600) or exit");
  CHECK(usage_error(tmp.path(), "bin/hello", {}, "running:0").find("--health is 'running:0'") == 0);
  CHECK(usage_error(tmp.path(), "bin/hello", {std::string(5000, 'x')}).find("holds an argument longer than 4096") !=
        std::string::npos);
  CHECK(usage_error(tmp.path(), "bin/hello", std::vector<std::string>(300, "a")).find("has more than 256 entries") !=
        std::string::npos);
}

TEST_CASE("upkeep release: exit 2 for a bad option value, 10 for a program the folder does not hold as an executable",
          "[release_program]") {
  TempDir tmp;
  const std::string upkeep = upkeep::test::program("upkeep").string();
  const std::string keys = (tmp / "keys").string(), repo = (tmp / "repo").string();
  REQUIRE(upkeep::test::run({upkeep, "keys", "init", "--keys", keys, "--repo", repo, "--app-id", "demo"}).exit_code ==
          0);
  const stdfs::path build = tmp / "build";
  write_file(build / "bin/hello", 0755);
  write_file(build / "bin/tool", 0755);
  write_file(build / "README", 0644);
  stdfs::create_symlink("hello", build / "bin/hi");
  auto release = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv{upkeep,   "release", build.string(), "--version", "1.0.0",
                                  "--keys", keys,      "--repo",       repo,        "--no-delta"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return upkeep::test::run(argv);
  };
  auto refused = [&](std::vector<std::string> extra, ErrorCode code, const std::string& message) {
    auto r = release(extra);
    INFO(r.err);
    CHECK(r.exit_code == static_cast<int>(code));
    CHECK(r.err.find(message) != std::string::npos);
    CHECK_FALSE(stdfs::exists(tmp / "repo/targets/demo"));
  };
  refused({}, ErrorCode::kUsage,
          build.string() + " holds no executable file at its top level (executables below it: bin/hello, bin/tool)");
  refused({"--program", "../hello"}, ErrorCode::kUsage, "--program '../hello' has a '..' component");
  refused({"--program", "bin/hello", "--health", "forever"}, ErrorCode::kUsage, "--health is 'forever'");
  refused({"--program", "bin/missing"}, ErrorCode::kBadInput,
          build.string() + ": the program 'bin/missing' does not exist in this release folder");
  refused({"--program", "README"}, ErrorCode::kBadInput,
          build.string() + ": the program 'README' has mode 0644, expected an executable file");
  refused({"--program", "bin"}, ErrorCode::kBadInput, build.string() + ": the program 'bin' is a folder");

  auto ok = release({"--program", "bin/hi", "--arg", "--quiet", "--health", "exit"});  // a link to an executable
  INFO(ok.err);
  REQUIRE(ok.exit_code == 0);
  CHECK(ok.out.find("  program: bin/hi\n    argument: --quiet\n    health: exit\n") != std::string::npos);
}

TEST_CASE("upkeep release names the one executable it chose", "[release_program]") {
  TempDir tmp;
  const std::string upkeep = upkeep::test::program("upkeep").string();
  const std::string keys = (tmp / "keys").string(), repo = (tmp / "repo").string();
  REQUIRE(upkeep::test::run({upkeep, "keys", "init", "--keys", keys, "--repo", repo, "--app-id", "demo"}).exit_code ==
          0);
  write_file(tmp / "build/hello", 0755);
  auto r = upkeep::test::run(
      {upkeep, "release", (tmp / "build").string(), "--version", "1.0.0", "--keys", keys, "--repo", repo});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("  program: hello (the only executable at the top of " + (tmp / "build").string() +
                   ")\n    health: running:10\n") != std::string::npos);
  auto help = upkeep::test::run({upkeep, "release", "--help"});
  CHECK(help.out.find("--program REL/PATH") != std::string::npos);
  CHECK(help.out.find("--health RULE") != std::string::npos);
}
