#include "upkeep/fileinfo/apk_manifest.h"

#include <Poco/Zip/Compress.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "apk_fixture.h"
#include "expect_error.h"
#include "test_support.h"

using upkeep::ErrorCode;
using upkeep::fileinfo::apk_version_from;
using upkeep::fileinfo::ApkVersion;
using upkeep::fileinfo::kMaxManifestBytes;
using upkeep::fileinfo::read_apk_version;
using upkeep::test::build_apk;
using upkeep::test::error_of;
using upkeep::test::manifest_xml;
using upkeep::test::TempDir;
namespace stdfs = std::filesystem;

namespace {

const std::map<std::string, std::string> kAppName{
    {"values/strings.xml", "<resources><string name=\"app_name\">Demo</string></resources>\n"}};

// versionName "@string/version_name": "2.7.1" by default, "2.7.1-fr" in French.
const std::map<std::string, std::string> kVersionStrings{
    {"values/strings.xml",
     "<resources><string name=\"app_name\">Demo</string><string name=\"version_name\">2.7.1</string></resources>\n"},
    {"values-fr/strings.xml", "<resources><string name=\"version_name\">2.7.1-fr</string></resources>\n"}};

std::string file_bytes(const stdfs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const stdfs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// A zip written by Poco's zip writer: name -> content, deflated.
void write_zip(const stdfs::path& path, const std::map<std::string, std::string>& entries) {
  std::ofstream out(path, std::ios::binary);
  Poco::Zip::Compress zip(out, true);
  for (const auto& [name, content] : entries) {
    std::istringstream in(content);
    zip.addFile(in, Poco::DateTime(1980, 1, 1), Poco::Path(name, Poco::Path::PATH_UNIX),
                Poco::Zip::ZipCommon::CM_DEFLATE, Poco::Zip::ZipCommon::CL_MAXIMUM);
  }
  zip.close();
}

// The central directory record of entry `name` in a zip's bytes.
size_t central_record(const std::string& zip, const std::string& name) {
  for (size_t p = zip.find("PK\1\2"); p != std::string::npos; p = zip.find("PK\1\2", p + 4)) {
    const uint32_t len = upkeep::test::get_u32(zip, p + 28) & 0xffff;
    if (zip.compare(p + 46, len, name) == 0) return p;
  }
  FAIL("no central record for " << name);
  return 0;
}

}  // namespace

TEST_CASE("read_apk_version reads a literal versionName and versionCode", "[fileinfo][apk]") {
  TempDir dir;
  const auto f =
      build_apk(dir.path(), manifest_xml(R"(android:versionCode="314" android:versionName="3.1.4")"), kAppName);
  const ApkVersion v = read_apk_version(f.apk);
  CHECK(v.package == "com.example.upkeep");
  CHECK(v.version_name == "3.1.4");
  CHECK(v.version_code == 314);
  CHECK(v.version_code_major == 0);
}

TEST_CASE("read_apk_version resolves @string/version_name in the default configuration", "[fileinfo][apk]") {
  TempDir dir;
  // --min-sdk-version 21: aapt writes the table's strings as UTF-8 (the manifest's stay UTF-16).
  const auto f = build_apk(dir.path(),
                           manifest_xml(R"(android:versionCode="271" android:versionCodeMajor="1" )"
                                        R"(android:versionName="@string/version_name")"),
                           kVersionStrings, {"--min-sdk-version", "21"});
  const ApkVersion v = read_apk_version(f.apk);
  CHECK(v.version_name == "2.7.1");  // not values-fr's "2.7.1-fr"
  CHECK(v.version_code_major == 1);
  CHECK(v.version_code == ((uint64_t{1} << 32) | 271));
  // The same from memory; without the table the reference cannot be resolved.
  CHECK(apk_version_from(f.manifest, f.resources, "app.apk").version_name == "2.7.1");
  const std::string msg =
      error_of([&] { apk_version_from(f.manifest, std::nullopt, "app.apk"); }, ErrorCode::kBadInput);
  CHECK_THAT(msg, Catch::Contains("refers to resource 0x7f") && Catch::Contains("no resources.arsc"));
}

TEST_CASE("read_apk_version follows a reference chain and refuses a loop", "[fileinfo][apk]") {
  TempDir dir;
  auto strings = [](const std::string& alias_value) {
    return std::map<std::string, std::string>{{"values/strings.xml",
                                               "<resources><string name=\"app_name\">Demo</string>"
                                               "<string name=\"version_name\">@string/alias</string>"
                                               "<string name=\"alias\">" +
                                                   alias_value + "</string></resources>\n"}};
  };
  const std::string manifest = manifest_xml(R"(android:versionCode="5" android:versionName="@string/version_name")");
  const auto chain = build_apk(dir / "chain", manifest, strings("5.0-beta"));
  CHECK(read_apk_version(chain.apk).version_name == "5.0-beta");
  // aapt accepts references that loop (version_name -> alias -> version_name); we must not.
  const auto loop = build_apk(dir / "loop", manifest, strings("@string/version_name"));
  const std::string msg = error_of([&] { read_apk_version(loop.apk); }, ErrorCode::kBadInput);
  CHECK_THAT(msg, Catch::Contains("resources.arsc") && Catch::Contains("loop") &&
                      Catch::Contains("0x7f020001 -> 0x7f020002 -> 0x7f020001"));
}

TEST_CASE("read_apk_version without versionName or versionCode is kNotFound", "[fileinfo][apk]") {
  TempDir dir;
  const auto no_name = build_apk(dir / "no-name", manifest_xml(R"(android:versionCode="314")"), kAppName);
  CHECK_THAT(error_of([&] { read_apk_version(no_name.apk); }, ErrorCode::kNotFound),
             Catch::Contains("app.apk") && Catch::Contains("no android:versionName"));
  const auto no_code = build_apk(dir / "no-code", manifest_xml(R"(android:versionName="1.0")"), kAppName);
  CHECK_THAT(error_of([&] { read_apk_version(no_code.apk); }, ErrorCode::kNotFound),
             Catch::Contains("no android:versionCode"));
  CHECK_THAT(error_of([&] { read_apk_version(dir / "missing.apk"); }, ErrorCode::kNotFound),
             Catch::Contains("missing.apk"));
}

TEST_CASE("read_apk_version refuses what is not an APK", "[fileinfo][apk]") {
  TempDir dir;
  upkeep::test::write_text(dir / "text.apk", "not a zip at all");
  CHECK_THAT(error_of([&] { read_apk_version(dir / "text.apk"); }, ErrorCode::kBadInput),
             Catch::Contains("not a readable zip archive"));
  write_zip(dir / "plain.zip", {{"hello.txt", "hello"}});
  CHECK_THAT(error_of([&] { read_apk_version(dir / "plain.zip"); }, ErrorCode::kBadInput),
             Catch::Contains("no AndroidManifest.xml"));
  // A text manifest (as in a source tree) is not binary XML.
  write_zip(dir / "source.apk", {{"AndroidManifest.xml", manifest_xml("")}});
  CHECK_THAT(error_of([&] { read_apk_version(dir / "source.apk"); }, ErrorCode::kBadInput),
             Catch::Contains("AndroidManifest.xml") && Catch::Contains("expected RES_XML_TYPE"));
}

TEST_CASE("read_apk_version refuses a manifest that inflates past the cap (zip bomb)", "[fileinfo][apk]") {
  TempDir dir;
  const auto f = build_apk(dir.path(), manifest_xml(R"(android:versionCode="1" android:versionName="1")"), kAppName);
  // A real manifest followed by 5 MiB of zeros: 5 KiB deflated, over the 4 MiB cap once inflated.
  const std::string bomb = f.manifest + std::string(kMaxManifestBytes + (1u << 20), '\0');
  write_zip(dir / "bomb.apk", {{"AndroidManifest.xml", bomb}, {"resources.arsc", f.resources}});
  REQUIRE(stdfs::file_size(dir / "bomb.apk") < 64 * 1024);
  CHECK_THAT(error_of([&] { read_apk_version(dir / "bomb.apk"); }, ErrorCode::kBadInput),
             Catch::Contains("bomb.apk: AndroidManifest.xml inflates to") && Catch::Contains("more than the 4 MiB"));
  // The same bytes whose central directory lies about the size: inflating stops at the declared size.
  std::string lying = file_bytes(dir / "bomb.apk");
  upkeep::test::put_u32(lying, central_record(lying, "AndroidManifest.xml") + 24, 4096);
  write_bytes(dir / "lying.apk", lying);
  CHECK_THAT(error_of([&] { read_apk_version(dir / "lying.apk"); }, ErrorCode::kBadInput),
             Catch::Contains("inflates past its declared size of 4096 bytes"));
}

TEST_CASE("read_apk_version refuses a manifest entry whose CRC-32 does not match", "[fileinfo][apk]") {
  TempDir dir;
  const auto f = build_apk(dir.path(), manifest_xml(R"(android:versionCode="1" android:versionName="1")"), kAppName);
  // A flipped bit in the stored CRC-32 of the (deflated) manifest.
  std::string bad_crc = file_bytes(f.apk);
  const size_t record = central_record(bad_crc, "AndroidManifest.xml");
  upkeep::test::put_u32(bad_crc, record + 16, upkeep::test::get_u32(bad_crc, record + 16) ^ 1);
  write_bytes(dir / "crc.apk", bad_crc);
  CHECK_THAT(error_of([&] { read_apk_version(dir / "crc.apk"); }, ErrorCode::kBadInput),
             Catch::Contains("AndroidManifest.xml does not match its CRC-32"));
}

TEST_CASE("read_apk_version reads Android's own framework-res.apk", "[fileinfo][apk]") {
  // A real APK of Android's build (android-framework-res): a 220 KiB manifest, a 30 MiB table.
  const ApkVersion v = read_apk_version("/usr/share/android-framework-res/framework-res.apk");
  CHECK(v.package == "android");
  CHECK(v.version_name == "10.0.0");
  CHECK(v.version_code == 29);
}

TEST_CASE("read_apk_version follows at most 8 references", "[fileinfo][apk]") {
  TempDir dir;
  // version_name -> a1 -> ... -> a<n> -> "9.9": n + 2 lookups.
  auto chain_of = [](int n) {
    std::string xml =
        "<resources><string name=\"app_name\">Demo</string>"
        "<string name=\"version_name\">@string/a1</string>";
    for (int i = 1; i <= n; ++i)
      xml += "<string name=\"a" + std::to_string(i) + "\">" + (i < n ? "@string/a" + std::to_string(i + 1) : "9.9") +
             "</string>";
    return std::map<std::string, std::string>{{"values/strings.xml", xml + "</resources>\n"}};
  };
  const std::string manifest = manifest_xml(R"(android:versionCode="9" android:versionName="@string/version_name")");
  CHECK(read_apk_version(build_apk(dir / "short", manifest, chain_of(6)).apk).version_name == "9.9");
  const auto long_chain = build_apk(dir / "long", manifest, chain_of(8));
  CHECK_THAT(error_of([&] { read_apk_version(long_chain.apk); }, ErrorCode::kBadInput),
             Catch::Contains("go on past 8 steps"));
}
