// Elf patches through codec.h, on two builds of a C library compiled by the
// real gcc, the second with code inserted near the start, so that the calls,
// RIP-relative operands, PLT, GOT, unwind tables and symbols after it move
// (the benchmark runs them on LibreOffice's and Firefox's libraries).
#include "upkeep/delta/elf_patch.h"

#include <catch2/catch.hpp>

#include "delta_test_data.h"
#include "expect_error.h"
#include "test_support.h"
#include "upkeep/delta/address_map.h"
#include "upkeep/delta/codec.h"
#include "upkeep/delta/elf_layout.h"
#include "upkeep/delta/io.h"

using namespace upkeep::test;
using namespace upkeep::test::delta_data;
using upkeep::ErrorCode;
namespace delta = upkeep::delta;
using delta::PatchAlgorithm;

namespace {

const std::pair<std::string, std::string>& libraries() {
  static const std::pair<std::string, std::string> built = [] {
    TempDir d;
    return std::pair{gcc_shared_library(c_program(1500, false), d), gcc_shared_library(c_program(1500, true), d)};
  }();
  return built;
}

struct LibraryPair : FilePair {
  LibraryPair() : FilePair(PatchAlgorithm::kElf, libraries()) {}
};

const unsigned char* bytes(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

TEST_CASE("an elf patch rebuilds a moved library exactly, much smaller than a zstd patch", "[delta][elf]") {
  LibraryPair p;
  REQUIRE(p.make());
  CHECK(p.apply() == upkeep::sha256_hex(p.target));
  CHECK(read_text(p.dir / "out") == p.target);
  CHECK((stdfs::status(p.dir / "out").permissions() & stdfs::perms::all) ==
        (stdfs::perms::owner_read | stdfs::perms::owner_write));
  only_inputs_left(p.dir);

  const uint64_t elf = stdfs::file_size(p.dir / "patch");
  const uint64_t zstd = p.other_patch(PatchAlgorithm::kZstd);
  INFO("elf " << elf << " bytes, zstd " << zstd << ", file " << p.target.size());
  // Measured: 0.52x; without the predictions the inner patch is the zstd patch plus the map.
  CHECK(elf * 10 < zstd * 7);
}

TEST_CASE("an elf patch between identical libraries is a few hundred bytes", "[delta][elf]") {
  FilePair p(PatchAlgorithm::kElf, {libraries().first, libraries().first});
  REQUIRE(p.make());
  CHECK(p.apply() == upkeep::sha256_hex(p.target));
  CHECK(stdfs::file_size(p.dir / "patch") < 512);
}

TEST_CASE("a derived table the predictions get wrong costs nothing when it did not change", "[delta][elf]") {
  // The relocations and the unwind index filled with noise, the same in both
  // files: every prediction is wrong, so the new file's tables are rewritten
  // to noise too. Made from the old file's tables rewritten the same way, the
  // patch still matches them whole (libcuilo.so of a LibreOffice point release).
  std::string so = libraries().first;
  const std::optional<delta::ElfLayout> layout = delta::ElfLayout::parse(bytes(so), so.size());
  REQUIRE(layout);
  uint64_t noise = 0;
  for (const delta::ElfRegion& r : layout->regions())
    if (r.kind == delta::RegionKind::kRelocations || r.kind == delta::RegionKind::kUnwindIndex) {
      so.replace(r.offset, r.size, random_bytes(r.size, 40 + noise));
      noise += r.size;
    }
  INFO("noise " << noise << " bytes");
  REQUIRE(noise >= 8192);
  std::string changed = so;
  changed[so.size() / 3] ^= 1;  // one byte elsewhere
  FilePair p(PatchAlgorithm::kElf, {so, changed});
  REQUIRE(p.make());
  CHECK(p.apply() == upkeep::sha256_hex(changed));
  CHECK(stdfs::file_size(p.dir / "patch") < 1024);
}

TEST_CASE("make_elf_patch declines files that are not x86-64 ELF, and writes nothing", "[delta][elf]") {
  LibraryPair p;
  SECTION("the target is text") { write_text(p.dir / "target", document_text(2000, 3)); }
  SECTION("the source is random bytes") { write_text(p.dir / "source", random_bytes(300000, 4)); }
  SECTION("the target's section table is past its end") {
    write_text(p.dir / "target", p.target.substr(0, p.target.size() - 64));
  }
  SECTION("the source is not for x86-64") {
    std::string other = p.source;
    other[18] = 183;  // EM_AARCH64
    write_text(p.dir / "source", other);
  }
  CHECK_FALSE(p.make());
  CHECK_FALSE(stdfs::exists(p.dir / "patch"));
  only_inputs_left(p.dir);
}

TEST_CASE("a damaged or misdirected elf patch is refused naming it, and leaves nothing", "[delta][elf]") {
  LibraryPair p;
  REQUIRE(p.make());
  std::string patch = read_text(p.dir / "patch");
  std::string expect;
  SECTION("wrong magic") {
    patch[4] = 'X';
    expect = "UPKELF02";
  }
  SECTION("truncated header") {
    patch.resize(10);
    expect = "not an elf patch";
  }
  SECTION("a map longer than the patch") {
    patch[15] = 1;
    expect = "longer than the patch";
  }
  SECTION("a corrupt map") {
    patch[20] ^= 0x55;
    expect = "";
  }
  SECTION("corrupt inner patch") {
    patch[patch.size() - 3] ^= 0x55;
    expect = "";
  }
  SECTION("truncated inner patch") {
    patch.resize(patch.size() - 5);
    expect = "";
  }
  SECTION("applied to another library") {
    TempDir d;
    write_text(p.dir / "source", gcc_shared_library(c_program(40, false), d));
    expect = "";
  }
  SECTION("applied to a source that is not ELF") {
    write_text(p.dir / "source", document_text(5000, 1));
    expect = "";
  }
  check_refused([&] { p.apply(); }, p.dir, patch, expect);
}

TEST_CASE("ElfLayout reads gcc's library and refuses what is not one", "[delta][elf]") {
  const std::string& so = libraries().first;
  const std::optional<delta::ElfLayout> layout = delta::ElfLayout::parse(bytes(so), so.size());
  REQUIRE(layout);
  REQUIRE(layout->section_named(".text"));
  CHECK(layout->is_code(layout->section_named(".text")->addr));
  CHECK_FALSE(layout->is_code(layout->section_named(".rodata")->addr));
  const delta::ElfRegion* text = layout->region_at(layout->section_named(".text")->offset);
  REQUIRE(text);
  CHECK(text->kind == delta::RegionKind::kCode);
  for (const delta::ElfRegion& r : layout->regions()) CHECK(r.offset >= 64);  // never the header

  std::string damaged = so;
  SECTION("cut inside the section table") { damaged.resize(so.size() - 10); }
  SECTION("a section past the end of the file") {
    const uint64_t shoff = delta::get_le(bytes(so) + 40, 8);
    damaged[shoff + 64 * 5 + 32 + 4] = 0x7f;  // section 5's size, high bytes
  }
  SECTION("a section name table index past the table") { damaged[62] = static_cast<char>(0xff); }
  SECTION("32-bit") { damaged[4] = 1; }
  CHECK_FALSE(delta::ElfLayout::parse(bytes(damaged), damaged.size()));
}

TEST_CASE("an address map survives its round trip and a malformed one is refused naming it", "[delta][elf]") {
  const std::string old_bytes = random_bytes(200000, 7);
  std::string new_bytes = old_bytes;
  new_bytes.insert(50000, random_bytes(3000, 8));
  const delta::AddressMap map =
      delta::AddressMap::build(bytes(old_bytes), old_bytes.size(), bytes(new_bytes), new_bytes.size());
  REQUIRE(map.runs().size() >= 2);
  CHECK(map.new_of(100) == 100);
  CHECK(map.new_of(60000) == 63000);
  delta::AddressMap::Cursor c(map);
  CHECK(c.old_of(10) == 10);
  CHECK(c.old_of(51000) == std::nullopt);  // inside the inserted bytes
  CHECK(c.old_of(70000) == 67000);

  const std::string stored = map.serialize();
  const delta::AddressMap back = delta::AddressMap::parse(stored, old_bytes.size(), new_bytes.size(), "p");
  REQUIRE(back.runs().size() == map.runs().size());
  CHECK(back.new_of(60000) == 63000);

  std::string bad = stored;
  std::string expect = "p: its address map ";
  SECTION("cut short") { bad.resize(bad.size() - 1); }
  SECTION("bytes after the last run") { bad += '\x01'; }
  SECTION("a run past the new file") {
    REQUIRE_THROWS(delta::AddressMap::parse(stored, old_bytes.size(), new_bytes.size() - 1000, "p"));
    return;
  }
  SECTION("a count larger than its bytes") { bad[0] = '\x7f'; }
  const std::string msg = error_of([&] { delta::AddressMap::parse(bad, old_bytes.size(), new_bytes.size(), "p"); },
                                   ErrorCode::kVerification);
  CHECK(msg.find(expect) != std::string::npos);
}

TEST_CASE("elf is a patch algorithm name, tried on x86-64 ELF files only", "[delta][elf]") {
  CHECK(std::string(delta::algorithm_name(PatchAlgorithm::kElf)) == "elf");
  CHECK(delta::parse_algorithm("elf") == PatchAlgorithm::kElf);
  TempDir d;
  write_text(d / "lib.so", libraries().first);
  write_text(d / "text", document_text(10, 1));
  CHECK(delta::is_x86_64_elf(d / "lib.so"));
  CHECK_FALSE(delta::is_x86_64_elf(d / "text"));
}
