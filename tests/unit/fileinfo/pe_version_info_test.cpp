// PeVersionInfo on PE files built by mingw-w64 at test time, and on hostile
// copies of them (bytes edited here): each must give a clear Error, never a crash.
#include "upkeep/fileinfo/pe_version_info.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <functional>

#include "expect_error.h"
#include "program_fixtures.h"
#include "test_support.h"

namespace upkeep::test {
namespace {

using fileinfo::PeVersionInfo;

uint32_t get32(const std::string& b, size_t at) {
  uint32_t v;
  std::memcpy(&v, b.data() + at, 4);  // x86: little-endian, as PE
  return v;
}
void put16(std::string& b, size_t at, uint16_t v) { std::memcpy(b.data() + at, &v, 2); }
void put32(std::string& b, size_t at, uint32_t v) { std::memcpy(b.data() + at, &v, 4); }

std::string utf16(const std::string& ascii) {
  std::string out;
  for (char c : ascii) out += std::string{c, '\0'};
  return out;
}

// Where the structures of a mingw-built exe lie, found the simple way (not with the code under test).
struct Landmarks {
  explicit Landmarks(const std::string& b) {
    const size_t rsrc_header = b.find(std::string(".rsrc\0\0\0", 8));
    REQUIRE(rsrc_header != std::string::npos);
    root = get32(b, rsrc_header + 20);  // PointerToRawData: the root resource directory
    const uint32_t entries = root + 16;
    rsrc_end = root + get32(b, rsrc_header + 16);  // + SizeOfRawData
    const uint32_t count = (get32(b, root + 12) >> 16) + (get32(b, root + 12) & 0xffff);
    for (uint32_t i = 0; i < count; ++i)
      if (get32(b, entries + 8 * i) == 16) version_entry = entries + 8 * i;
    REQUIRE(version_entry != 0);
    type_dir = root + (get32(b, version_entry + 4) & 0x7fffffff);
    block = b.find(utf16("VS_VERSION_INFO")) - 6;
    product_name = b.find(utf16("ProductName")) - 6;
  }
  size_t root = 0, rsrc_end = 0, version_entry = 0, type_dir = 0, block = 0, product_name = 0;
};

struct Fixtures {
  TempDir dir;
  stdfs::path exe = mingw_program(dir.path(), "app.exe", version_rc());
  stdfs::path dll = mingw_program(dir.path(), "lib.dll", version_rc(), true);
  stdfs::path bare = mingw_program(dir.path(), "bare.exe", "");
  std::string bytes = read_text(exe);
  Landmarks at{bytes};

  // PeVersionInfo::parse of the exe's bytes after `edit`: the Error it must give.
  std::string refused(const std::function<void(std::string&)>& edit, ErrorCode code = ErrorCode::kBadInput) {
    std::string b = bytes;
    edit(b);
    return error_of([&] { PeVersionInfo::parse(b, "app.exe"); }, code);
  }
};

void check_fixture_versions(const PeVersionInfo& v) {
  CHECK(v.file_version == "1.2.3.4");
  CHECK(v.product_version == "2.0.0.0");
  CHECK(v.string_table == "040904b0");
  CHECK(v.string("FileVersion") == "1.2.3.4 (release)");
  CHECK(v.string("ProductVersion") == "2.0.0-rc.1");
  CHECK(v.string("ProductName") == "Demo");
  CHECK(v.string("CompanyName") == "Grüße GmbH");
  CHECK_FALSE(v.string("LegalCopyright"));
}

TEST_CASE("PeVersionInfo reads the VERSIONINFO of a mingw-built exe and dll (PE32+)", "[fileinfo][pe]") {
  Fixtures f;
  check_fixture_versions(PeVersionInfo::read(f.exe));
  check_fixture_versions(PeVersionInfo::read(f.dll));
}

TEST_CASE("PeVersionInfo reads the same resource from the PE32 format", "[fileinfo][pe]") {
  Fixtures f;
  const std::string pe32 = read_text(as_pe32(f.exe, f.dir / "app32.exe"));
  REQUIRE(get32(pe32, get32(pe32, 0x3c) + 24) % 0x10000 == 0x10b);  // the optional header says PE32
  check_fixture_versions(PeVersionInfo::parse(pe32, "app32.exe"));
  check_fixture_versions(PeVersionInfo::read(as_pe32(f.dll, f.dir / "lib32.dll")));
}

TEST_CASE("PeVersionInfo: a PE file without a version resource is kNotFound", "[fileinfo][pe]") {
  Fixtures f;
  const std::string msg = error_of([&] { PeVersionInfo::read(f.bare); }, ErrorCode::kNotFound);
  CHECK_THAT(msg, Catch::Contains("no VERSIONINFO resource") && Catch::Contains("bare.exe"));
}

TEST_CASE("PeVersionInfo refuses files that are no PE file", "[fileinfo][pe]") {
  Fixtures f;
  CHECK_THAT(error_of([&] { PeVersionInfo::parse("MZ", "x"); }, ErrorCode::kBadInput),
             Catch::Contains("not a PE file"));
  CHECK_THAT(f.refused([](std::string& b) { put32(b, 0x3c, 0x10); }), Catch::Contains("no PE signature"));
  CHECK_THAT(f.refused([](std::string& b) { put32(b, 0x3c, 0xfffffff0); }),
             Catch::Contains("PE signature at offset 0xfffffff0") && Catch::Contains("past the end of the file"));
  CHECK_THAT(f.refused([](std::string& b) { put16(b, get32(b, 0x3c) + 24, 0x999); }),
             Catch::Contains("optional header magic 0x999") && Catch::Contains("expected 0x10b (PE32) or 0x20b"));
}

TEST_CASE("PeVersionInfo refuses a file truncated at any of several points", "[fileinfo][pe]") {
  Fixtures f;
  const size_t pe = get32(f.bytes, 0x3c);
  for (size_t cut :
       {size_t{0}, size_t{40}, pe + 2, pe + 30, pe + 200, f.at.root + 8, f.at.block + 40, f.at.rsrc_end - 1}) {
    INFO("cut at " << cut);
    const std::string msg = f.refused([&](std::string& b) { b.resize(cut); });
    CHECK_THAT(msg, Catch::Contains("app.exe") && (Catch::Contains("past the end") || Catch::Contains("not a PE")));
  }
}

TEST_CASE("PeVersionInfo refuses a resource directory that loops", "[fileinfo][pe]") {
  Fixtures f;
  // The root's RT_VERSION entry points to the root itself.
  CHECK_THAT(f.refused([&](std::string& b) { put32(b, f.at.version_entry + 4, 0x80000000); }),
             Catch::Contains("loops back to itself") && Catch::Contains("expected a tree"));
  // The name entry of the RT_VERSION directory points back to the root (its ancestor).
  CHECK_THAT(f.refused([&](std::string& b) { put32(b, f.at.type_dir + 16 + 4, 0x80000000); }),
             Catch::Contains("loops back to the directory at offset 0x0") && Catch::Contains("expected a tree"));
}

TEST_CASE("PeVersionInfo refuses huge resource entry counts", "[fileinfo][pe]") {
  Fixtures f;
  CHECK_THAT(f.refused([&](std::string& b) { put16(b, f.at.root + 14, 0xffff); }),
             Catch::Contains("claims 65535 entries") && Catch::Contains("expected at most 16384"));
  CHECK_THAT(f.refused([&](std::string& b) {
    put16(b, f.at.root + 12, 0x1000);
    put16(b, f.at.root + 14, 0x1000);
  }),
             Catch::Contains("claims 8192 entries") && Catch::Contains("expected its entries inside the section"));
}

TEST_CASE("PeVersionInfo refuses version blocks that do not fit", "[fileinfo][pe]") {
  Fixtures f;
  CHECK_THAT(f.refused([&](std::string& b) { put16(b, f.at.block, 0xfff0); }),
             Catch::Contains("VS_VERSIONINFO block at offset 0x0") && Catch::Contains("past the end of what holds it"));
  CHECK_THAT(f.refused([&](std::string& b) { put16(b, f.at.block, 4); }), Catch::Contains("expected at least 6"));
  CHECK_THAT(f.refused([&](std::string& b) { b[f.at.product_name] += 1; }),
             Catch::Contains("String block") && Catch::Contains("odd length") &&
                 Catch::Contains("expected whole UTF-16 characters"));
  CHECK_THAT(f.refused([&](std::string& b) { put32(b, f.at.block + 6 + 32 + 2, 0x12345678); }),
             Catch::Contains("VS_FIXEDFILEINFO") && Catch::Contains("expected 0xfeef04bd"));
  CHECK_THAT(f.refused([&](std::string& b) { b.replace(f.at.block + 6, 4, utf16("XX")); }),
             Catch::Contains("expected 'VS_VERSION_INFO'"));
}

TEST_CASE("PeVersionInfo refuses an unpaired UTF-16 surrogate in a string", "[fileinfo][pe]") {
  Fixtures f;
  const size_t demo = f.bytes.find(utf16("Demo"));
  REQUIRE(demo != std::string::npos);
  CHECK_THAT(f.refused([&](std::string& b) { put16(b, demo, 0xdc00); }),
             Catch::Contains("unpaired UTF-16 surrogate 0xdc00"));
}

}  // namespace
}  // namespace upkeep::test
