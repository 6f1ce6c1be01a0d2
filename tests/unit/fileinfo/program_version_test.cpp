// read_program_version(): the reader chosen by the file's first bytes, and the one version it gives.
#include "upkeep/fileinfo/program_version.h"

#include <catch2/catch.hpp>

#include "apk_fixture.h"
#include "expect_error.h"
#include "program_fixtures.h"
#include "test_support.h"

namespace upkeep::test {
namespace {

using fileinfo::read_program_version;

TEST_CASE("read_program_version: a PE file's version is its ProductVersion string when it is one",
          "[fileinfo][program_version]") {
  TempDir dir;
  const auto v = read_program_version(mingw_program(dir.path(), "app.exe", version_rc()));
  CHECK(v.kind == "pe");
  CHECK(v.version == "2.0.0-rc.1");
  CHECK(v.source == "StringFileInfo ProductVersion");
  CHECK(v.file_version == "1.2.3.4");
  CHECK(v.product_version == "2.0.0.0");
  CHECK(v.strings.at("FileVersion") == "1.2.3.4 (release)");
  const Json j = v.to_json();
  CHECK(j.get_string("version") == "2.0.0-rc.1");
  CHECK(j.get_string("file_version") == "1.2.3.4");
  CHECK(j.get_object("strings").at("CompanyName").as_string() == "Grüße GmbH");
}

TEST_CASE("read_program_version: else the fixed ProductVersion", "[fileinfo][program_version]") {
  TempDir dir;
  const auto v = read_program_version(mingw_program(dir.path(), "lib.dll", version_rc("2.0 beta"), true));
  CHECK(v.version == "2.0.0.0");
  CHECK(v.source == "VS_FIXEDFILEINFO ProductVersion");
}

TEST_CASE("read_program_version: ELF programs, with and without the note", "[fileinfo][program_version]") {
  TempDir dir;
  const auto v = read_program_version(gcc_program(dir.path(), "app", "1.4.2"));
  CHECK(v.kind == "elf");
  CHECK(v.version == "1.4.2");
  CHECK_FALSE(v.file_version);
  const auto plain = gcc_program(dir.path(), "plain", "", "puts(\"plain 0.9.1\"); return 0;");
  CHECK_THAT(error_of([&] { read_program_version(plain); }, ErrorCode::kNotFound),
             Catch::Contains("no .note.upkeep.version note") && Catch::Contains("--run-version"));
  const auto run = read_program_version(plain, {.run_version = true});
  CHECK(run.version == "0.9.1");
  CHECK(run.source == "--version output");
  const auto bad = gcc_program(dir.path(), "bad", "not a version");
  CHECK_THAT(error_of([&] { read_program_version(bad); }, ErrorCode::kBadInput),
             Catch::Contains("'not a version' is not a version"));
}

TEST_CASE("read_program_version: other files are refused naming their first bytes", "[fileinfo][program_version]") {
  TempDir dir;
  write_text(dir / "script.sh", "#!/bin/sh\necho 1.0\n");
  CHECK_THAT(error_of([&] { read_program_version(dir / "script.sh"); }, ErrorCode::kBadInput),
             Catch::Contains("starts with 23 21 2f 62") && Catch::Contains("expected a Windows PE file"));
  write_text(dir / "empty", "");
  CHECK_THAT(error_of([&] { read_program_version(dir / "empty"); }, ErrorCode::kBadInput),
             Catch::Contains("an empty file"));
  write_text(dir / "app.apk", std::string("PK\x03\x04", 4) + std::string(60, '\0'));
  error_of([&] { read_program_version(dir / "app.apk"); }, ErrorCode::kBadInput);  // a zip in name only
  error_of([&] { read_program_version(dir / "missing.exe"); }, ErrorCode::kNotFound);
}

TEST_CASE("read_program_version: an APK's version is its versionName when it is one, else its versionCode",
          "[fileinfo][program_version][apk]") {
  TempDir dir;
  const std::map<std::string, std::string> res = {
      {"values/strings.xml", "<resources><string name=\"app_name\">Demo</string></resources>"}};
  auto apk = build_apk(dir / "named", manifest_xml(R"(android:versionCode="40" android:versionName="4.0.2")"), res);
  auto v = read_program_version(apk.apk);
  CHECK(v.kind == "apk");
  CHECK(v.version == "4.0.2");
  CHECK(v.source == "versionName");
  CHECK(v.strings.at("versionCode") == "40");
  CHECK(v.strings.at("package") == "com.example.upkeep");
  apk = build_apk(dir / "coded", manifest_xml(R"(android:versionCode="41" android:versionName="Spring edition")"), res);
  v = read_program_version(apk.apk);
  CHECK(v.version == "41");
  CHECK_THAT(v.source, Catch::Contains("versionCode"));
  CHECK(v.strings.at("versionName") == "Spring edition");
  // What a release records for it, and for a file of no known kind.
  CHECK(fileinfo::find_program_version(apk.apk)->version == "41");
  write_text(dir / "notes.txt", "1.0\n");
  CHECK_FALSE(fileinfo::find_program_version(dir / "notes.txt"));
  CHECK_FALSE(fileinfo::is_program_file(dir / "notes.txt"));
  CHECK(fileinfo::is_program_file(apk.apk));
}

}  // namespace
}  // namespace upkeep::test
