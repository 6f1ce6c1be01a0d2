#include "upkeep/fileinfo/resource_table.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "apk_fixture.h"
#include "expect_error.h"
#include "test_support.h"

using upkeep::ErrorCode;
using upkeep::fileinfo::kTypeString;
using upkeep::fileinfo::ResourceTable;
using upkeep::test::error_of;
using upkeep::test::get_u32;
using upkeep::test::put_u32;

namespace {

constexpr uint32_t kAppName = 0x7f020000, kVersionName = 0x7f020001;

// resources.arsc with @string/version_name "2.7.1" (default) and "2.7.1-fr" (values-fr), UTF-8 or UTF-16 strings.
std::string real_table(bool utf8) {
  upkeep::test::TempDir dir;
  std::vector<std::string> options;
  if (utf8) options = {"--min-sdk-version", "21"};
  return upkeep::test::build_apk(
             dir.path(),
             upkeep::test::manifest_xml(R"(android:versionCode="1" android:versionName="@string/version_name")"),
             {{"values/strings.xml",
               "<resources><string name=\"app_name\">Demo</string>"
               "<string name=\"version_name\">2.7.1</string></resources>\n"},
              {"values-fr/strings.xml", "<resources><string name=\"version_name\">2.7.1-fr</string></resources>\n"}},
             options)
      .resources;
}

// The offsets of the table's RES_TABLE_TYPE_TYPE chunks of the string type (id 2), in table order.
std::vector<size_t> string_type_chunks(const std::string& b) {
  const size_t package = upkeep::test::find_chunk(b, 0x0200);
  std::vector<size_t> out;
  for (size_t at = package + (get_u32(b, package) >> 16); at < package + get_u32(b, package + 4);) {
    if ((get_u32(b, at) & 0xffff) == 0x0201 && (get_u32(b, at + 8) & 0xff) == 2) out.push_back(at);
    at += get_u32(b, at + 4);
  }
  return out;
}

std::string refusal(const std::string& bytes, uint32_t id = kVersionName) {
  return error_of([&] { ResourceTable::parse(bytes, "app.apk: resources.arsc").resolve(id); }, ErrorCode::kBadInput);
}

}  // namespace

TEST_CASE("ResourceTable resolves strings of aapt's table in the default configuration", "[fileinfo][resource_table]") {
  for (bool utf8 : {true, false}) {
    INFO("UTF-8 pool: " << utf8);
    const ResourceTable table = ResourceTable::parse(real_table(utf8), "resources.arsc");
    CHECK(table.resolve(kVersionName).type == kTypeString);
    CHECK(table.resolve(kVersionName).string == "2.7.1");
    CHECK(table.resolve(kAppName).string == "Demo");
    const auto ids = table.ids(100);
    CHECK(std::find(ids.begin(), ids.end(), kVersionName) != ids.end());
    CHECK(std::find(ids.begin(), ids.end(), kAppName) != ids.end());
  }
}

TEST_CASE("ResourceTable falls back to another configuration only when the default has no entry",
          "[fileinfo][resource_table]") {
  std::string bytes = real_table(true);
  const auto chunks = string_type_chunks(bytes);
  REQUIRE(chunks.size() == 2);
  REQUIRE(bytes.substr(chunks[1] + 28, 2) == "fr");  // ResTable_config::language of the second
  const size_t header = get_u32(bytes, chunks[0]) >> 16;
  put_u32(bytes, chunks[0] + header + 4 * (kVersionName & 0xffff), 0xffffffff);  // no entry in the default
  CHECK(ResourceTable::parse(bytes, "resources.arsc").resolve(kVersionName).string == "2.7.1-fr");
}

TEST_CASE("ResourceTable refuses ids it does not hold and damaged type chunks", "[fileinfo][resource_table]") {
  const std::string real = real_table(true);
  CHECK_THAT(refusal(real, 0x7f02ffff), Catch::Contains("resource 0x7f02ffff is not in the table"));
  CHECK_THAT(refusal(real, 0x01010001), Catch::Contains("no package 0x1"));
  CHECK_THAT(refusal(real.substr(0, real.size() - 1)), Catch::Contains("goes past its parent's end"));
  CHECK_THAT(refusal(std::string("\3\0\x08\0\x08\0\0\0", 8)),
             Catch::Contains("starts with RES_XML_TYPE (0x0003); expected RES_TABLE_TYPE (0x0002)"));
  const size_t type = string_type_chunks(real).at(0);
  SECTION("huge entry count") {
    std::string bytes = real;
    put_u32(bytes, type + 12, 0x20000000);
    CHECK_THAT(refusal(bytes), Catch::Contains("RES_TABLE_TYPE_TYPE (0x0201)") &&
                                   Catch::Contains("536870912 entries need an offsets table"));
  }
  SECTION("entry offset past the chunk") {
    std::string bytes = real;
    put_u32(bytes, type + (get_u32(bytes, type) >> 16) + 4, 0x7ffffff0);
    CHECK_THAT(refusal(bytes), Catch::Contains("entry of resource 0x7f020001") && Catch::Contains("past the chunk"));
  }
  SECTION("package chunk past the table") {
    std::string bytes = real;
    put_u32(bytes, upkeep::test::find_chunk(bytes, 0x0200) + 4, 0x10000000);
    CHECK_THAT(refusal(bytes),
               Catch::Contains("RES_TABLE_PACKAGE_TYPE (0x0200)") && Catch::Contains("goes past its parent's end"));
  }
  SECTION("a type chunk of size 0") {
    std::string bytes = real;
    put_u32(bytes, type + 4, 0);
    CHECK_THAT(refusal(bytes), Catch::Contains("chunk size 0 is smaller than its header"));
  }
  SECTION("a global string pool with a huge count") {
    std::string bytes = real;
    put_u32(bytes, 12 + 8, 0xffffffff);
    CHECK_THAT(refusal(bytes), Catch::Contains("claims 4294967295 strings"));
  }
}

TEST_CASE("ResourceTable refuses a reference that points at itself", "[fileinfo][resource_table]") {
  std::string bytes = real_table(true);
  // The default entry of version_name: a string value becomes a reference to itself.
  const size_t type = string_type_chunks(bytes).at(0);
  const size_t header = get_u32(bytes, type) >> 16;
  const size_t entry = type + get_u32(bytes, type + 16) + get_u32(bytes, type + header + 4);
  const size_t value = entry + (get_u32(bytes, entry) & 0xffff);
  bytes[value + 3] = 0x01;  // TYPE_REFERENCE
  put_u32(bytes, value + 4, kVersionName);
  CHECK_THAT(refusal(bytes), Catch::Contains("loop: 0x7f020001 -> 0x7f020001"));
}
