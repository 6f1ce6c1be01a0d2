// VersionProbe: real programs built by gcc run with --version.
#include "upkeep/fileinfo/version_probe.h"

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "program_fixtures.h"
#include "test_support.h"

namespace upkeep::test {
namespace {

using fileinfo::VersionProbe;
using namespace std::chrono_literals;

TEST_CASE("VersionProbe finds the first version-like token of a line", "[fileinfo][probe]") {
  CHECK(VersionProbe::first_version_token("tool 1.4.2 (build 7)") == "1.4.2");
  CHECK(VersionProbe::first_version_token("tool v2.0.1-rc.1, 2024-05-01") == "2.0.1-rc.1");
  CHECK(VersionProbe::first_version_token("GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)") == "5.2.15");
  CHECK(VersionProbe::first_version_token("Python 3.11.2") == "3.11.2");
  CHECK(VersionProbe::first_version_token("app 10.0.19041.1.") == "10.0.19041.1");
  CHECK(VersionProbe::first_version_token("x86_64 build 42 of 1.0") == "1.0");  // 42 has no dot, x86_64 is a word
  CHECK(VersionProbe::first_version_token("no version here") == std::nullopt);
  CHECK(VersionProbe::first_version_token("build 42") == std::nullopt);
}

TEST_CASE("VersionProbe runs a program with --version and reads only its first stdout line", "[fileinfo][probe]") {
  TempDir dir;
  const auto app = gcc_program(dir.path(), "app", "",
                               "if (argc != 2) return 3; fputs(\"noise 9.9.9\\n\", stderr); "
                               "printf(\"app version %s\\nother 8.8.8\\n\", argv[1][2] == 'v' ? \"3.2.1\" : \"?\"); "
                               "return getchar() == EOF ? 0 : 4;");
  CHECK(VersionProbe::run(app, 10s) == "3.2.1");
}

TEST_CASE("VersionProbe: a program that hangs, fails or prints no version is an Error", "[fileinfo][probe]") {
  TempDir dir;
  const auto hangs = gcc_program(dir.path(), "hangs", "", "pause(); return 0;");
  CHECK_THAT(error_of([&] { VersionProbe::run(hangs, 300ms); }, ErrorCode::kFailure),
             Catch::Contains("still running after 300 ms"));
  const auto fails = gcc_program(dir.path(), "fails", "", "puts(\"1.0.0\"); return 5;");
  CHECK_THAT(error_of([&] { VersionProbe::run(fails, 10s); }, ErrorCode::kFailure),
             Catch::Contains("exit code 5") && Catch::Contains("expected exit code 0"));
  const auto silent = gcc_program(dir.path(), "silent", "", "puts(\"usage: silent FILE\"); return 0;");
  CHECK_THAT(error_of([&] { VersionProbe::run(silent, 10s); }, ErrorCode::kBadInput),
             Catch::Contains("'usage: silent FILE' holds no version"));
}

}  // namespace
}  // namespace upkeep::test
