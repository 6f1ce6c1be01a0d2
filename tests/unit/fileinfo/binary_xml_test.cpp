#include "upkeep/fileinfo/binary_xml.h"

#include <catch2/catch.hpp>

#include "apk_fixture.h"
#include "expect_error.h"
#include "test_support.h"

using upkeep::ErrorCode;
using upkeep::fileinfo::BinaryXml;
using upkeep::fileinfo::kAndroidNs;
using upkeep::fileinfo::kTypeIntDec;
using upkeep::fileinfo::kTypeString;
using upkeep::test::error_of;
using upkeep::test::find_chunk;
using upkeep::test::put_u32;

namespace {

// AndroidManifest.xml as aapt compiles it: versionName "3.1.4", versionCode 314.
const std::string& real_manifest() {
  static const std::string bytes = [] {
    upkeep::test::TempDir dir;
    return upkeep::test::build_apk(
               dir.path(), upkeep::test::manifest_xml(R"(android:versionCode="314" android:versionName="3.1.4")"),
               {{"values/strings.xml", "<resources><string name=\"app_name\">Demo</string></resources>\n"}})
        .manifest;
  }();
  return bytes;
}

std::string refusal(const std::string& bytes) {
  return error_of([&] { BinaryXml::parse(bytes, "app.apk: AndroidManifest.xml"); }, ErrorCode::kBadInput);
}

}  // namespace

TEST_CASE("BinaryXml reads aapt's compiled manifest", "[fileinfo][binary_xml]") {
  const BinaryXml xml = BinaryXml::parse(real_manifest(), "AndroidManifest.xml");
  REQUIRE(xml.elements().size() == 2);
  const auto& root = xml.elements()[0];
  CHECK(root.name == "manifest");
  CHECK(root.depth == 0);
  CHECK(xml.elements()[1].name == "application");
  CHECK(xml.elements()[1].depth == 1);
  const auto* code = root.find(0x0101021b, kAndroidNs, "versionCode");
  REQUIRE(code);
  CHECK(code->name == "versionCode");
  CHECK(code->ns == kAndroidNs);
  CHECK(code->value.type == kTypeIntDec);
  CHECK(code->value.data == 314);
  const auto* name = root.find(0x0101021c, kAndroidNs, "versionName");
  REQUIRE(name);
  CHECK(name->value.type == kTypeString);
  CHECK(name->value.string == "3.1.4");
  const auto* package = root.find(0, "", "package");
  REQUIRE(package);
  CHECK(package->value.string == "com.example.upkeep");
}

TEST_CASE("BinaryXml refuses truncated and misplaced chunks", "[fileinfo][binary_xml]") {
  const std::string& real = real_manifest();
  SECTION("truncated document") {
    CHECK_THAT(refusal(real.substr(0, real.size() / 2)),
               Catch::Contains("app.apk: AndroidManifest.xml: document RES_XML_TYPE (0x0003) at offset 0x0") &&
                   Catch::Contains("goes past its parent's end"));
    CHECK_THAT(refusal(real.substr(0, 5)), Catch::Contains("needs 8 bytes"));
  }
  SECTION("a chunk of size 0") {
    std::string bytes = real;
    put_u32(bytes, 8 + 4, 0);  // the string pool right after the 8-byte document header
    CHECK_THAT(refusal(bytes), Catch::Contains("RES_STRING_POOL_TYPE (0x0001) at offset 0x8") &&
                                   Catch::Contains("chunk size 0 is smaller than its header"));
  }
  SECTION("a chunk past its parent") {
    std::string bytes = real;
    const size_t element = find_chunk(bytes, 0x0102);
    put_u32(bytes, element + 4, static_cast<uint32_t>(bytes.size()));
    CHECK_THAT(refusal(bytes),
               Catch::Contains("RES_XML_START_ELEMENT_TYPE (0x0102)") && Catch::Contains("goes past its parent's end"));
  }
  SECTION("an element that closes nothing") {
    std::string bytes = real;
    upkeep::test::put_u16(bytes, find_chunk(bytes, 0x0102), 0x0103);  // the first start element becomes an end
    CHECK_THAT(refusal(bytes), Catch::Contains("closes an element that was never opened"));
  }
}

TEST_CASE("BinaryXml refuses a string pool with a huge count or an index out of range", "[fileinfo][binary_xml]") {
  const std::string& real = real_manifest();
  SECTION("huge count") {
    std::string bytes = real;
    put_u32(bytes, 8 + 8, 0x40000000);
    CHECK_THAT(refusal(bytes), Catch::Contains("string pool at offset 0x8") &&
                                   Catch::Contains("claims 1073741824 strings") && Catch::Contains("holds at most"));
  }
  SECTION("element name out of range") {
    std::string bytes = real;
    put_u32(bytes, find_chunk(bytes, 0x0102) + 16 + 4, 0x00ffffff);
    CHECK_THAT(refusal(bytes),
               Catch::Contains("element name refers to string 16777215") && Catch::Contains("which holds only"));
  }
  SECTION("string offset out of range") {
    std::string bytes = real;
    const size_t pool = 8, offsets = pool + 28;
    put_u32(bytes, offsets, 0x00fffff0);  // string 0's offset
    CHECK_THAT(refusal(bytes), Catch::Contains("string 0") && Catch::Contains("outside the pool's strings"));
  }
}
