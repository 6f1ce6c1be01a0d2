// Bit-shift patches through codec.h, on synthetic bit streams shaped like
// LLVM bitcode (the benchmark runs them on postgresql-15's real bitcode).
#include "upkeep/delta/bits_patch.h"

#include <catch2/catch.hpp>

#include "delta_test_data.h"
#include "expect_error.h"
#include "test_support.h"
#include "upkeep/delta/codec.h"

using namespace upkeep::test;
using namespace upkeep::test::delta_data;
using upkeep::ErrorCode;
namespace delta = upkeep::delta;
using delta::PatchAlgorithm;

namespace {

// Two builds of one bitcode file: a field inserted a third of the way in
// (every later field moves by 7 bits) and a value changed near the end.
struct BitcodePair {
  TempDir dir;
  std::string source = bit_stream(20000, 7);
  std::string target = bit_stream(20000, 7, 7000, 15000);
  BitcodePair() {
    write_text(dir / "source", source);
    write_text(dir / "target", target);
  }
  bool make() { return delta::make_patch(PatchAlgorithm::kBits, dir / "source", dir / "target", dir / "patch"); }
  std::string apply() {
    return delta::apply_patch(PatchAlgorithm::kBits, dir / "source", dir / "patch", dir / "out", target.size());
  }
  uint64_t byte_patch(PatchAlgorithm a) {
    const stdfs::path p = dir / (std::string("bytes.") + delta::algorithm_name(a));
    REQUIRE(delta::make_patch(a, dir / "source", dir / "target", p));
    const uint64_t n = stdfs::file_size(p);
    stdfs::remove(p);
    return n;
  }
};

bool bit(const std::string& s, uint64_t j) { return (static_cast<unsigned char>(s[j / 8]) >> (j % 8)) & 1; }

}  // namespace

TEST_CASE("write_bit_shifted writes the source and its seven copies shifted by 1 to 7 bits", "[delta][bits]") {
  TempDir dir;
  const std::string src = random_bytes(1001, 3);
  write_text(dir / "source", src);
  delta::write_bit_shifted(dir / "source", dir / "shifted");
  const std::string out = read_text(dir / "shifted");
  REQUIRE(out.size() == 8 * src.size());
  CHECK(out.substr(0, src.size()) == src);
  for (int k = 1; k < 8; ++k) {
    const std::string copy = out.substr(k * src.size(), src.size());
    for (uint64_t j = 0; j < 8 * src.size(); ++j) {
      const bool expected = j + k < 8 * src.size() ? bit(src, j + k) : false;
      if (bit(copy, j) != expected) FAIL("copy " << k << " bit " << j);
    }
  }
}

TEST_CASE("a bit-shift patch rebuilds a bit stream whose fields moved, far smaller than byte patches",
          "[delta][bits]") {
  BitcodePair p;
  REQUIRE(p.make());
  CHECK(p.apply() == upkeep::sha256_hex(p.target));
  CHECK(read_text(p.dir / "out") == p.target);
  CHECK((stdfs::status(p.dir / "out").permissions() & stdfs::perms::all) ==
        (stdfs::perms::owner_read | stdfs::perms::owner_write));
  only_inputs_left(p.dir);

  const uint64_t bits = stdfs::file_size(p.dir / "patch");
  const uint64_t zstd = p.byte_patch(PatchAlgorithm::kZstd);
  const uint64_t bsdiff = p.byte_patch(PatchAlgorithm::kBsdiff);
  INFO("bits " << bits << " bytes, zstd " << zstd << ", bsdiff " << bsdiff << ", file " << p.target.size());
  // Two thirds of the stream moved by 7 bits: byte patches carry it again.
  CHECK(bits * 10 < zstd);
  CHECK(bits * 10 < bsdiff);
  CHECK(bits < 400);
}

TEST_CASE("a bit-shift patch also rebuilds files that are not bit streams", "[delta][bits]") {
  TempDir dir;
  const std::string source = executable_bytes();
  CHECK(round_trip(PatchAlgorithm::kBits, source, edited(source, 11), dir) < source.size() / 10);
}

TEST_CASE("make_bits_patch declines an empty source or one over kMaxBitsPatchSource", "[delta][bits]") {
  BitcodePair p;
  stdfs::remove(p.dir / "source");
  SECTION("empty") { write_text(p.dir / "source", ""); }
  SECTION("too large") { write_text(p.dir / "source", std::string(delta::kMaxBitsPatchSource + 1, 'x')); }
  CHECK_FALSE(p.make());
  CHECK_FALSE(stdfs::exists(p.dir / "patch"));
}

TEST_CASE("a damaged or misdirected bit-shift patch is refused naming it, and leaves nothing", "[delta][bits]") {
  BitcodePair p;
  REQUIRE(p.make());
  std::string patch = read_text(p.dir / "patch");
  std::string expect;
  SECTION("wrong magic") {
    patch[3] = 'X';
    expect = "UPKBIT01";
  }
  SECTION("unknown inner algorithm") {
    patch[8] = 4;
    expect = "inner algorithm 4";
  }
  SECTION("a source size of 0") {
    for (int i = 9; i < 17; ++i) patch[i] = 0;
    expect = "a source of 0 bytes";
  }
  SECTION("a source size beyond the limit") {
    patch[16] = 1;
    expect = "expected 1 to";
  }
  SECTION("truncated header") {
    patch.resize(12);
    expect = "not a bit-shift patch";
  }
  SECTION("corrupt inner patch") {
    patch[patch.size() - 3] ^= 0x55;
    expect = "its inner patch";
  }
  SECTION("truncated inner patch") {
    patch.resize(patch.size() - 5);
    expect = "its inner patch";
  }
  SECTION("applied to a source of another size") {
    stdfs::remove(p.dir / "source");
    write_text(p.dir / "source", p.source + "x");
    expect = "the patch was made from";
  }
  check_refused([&] { p.apply(); }, p.dir, patch, expect);
}

TEST_CASE("is_bit_stream knows LLVM bitcode, raw and wrapped, and nothing else", "[delta][bits]") {
  TempDir dir;
  auto check = [&](const std::string& bytes) {
    stdfs::remove(dir / "f");
    write_text(dir / "f", bytes);
    return delta::is_bit_stream(dir / "f");
  };
  CHECK(check(bit_stream(10, 1)));
  CHECK(check(std::string("\xDE\xC0\x17\x0B", 4) + std::string(20, '\0')));
  CHECK_FALSE(check(executable_bytes()));
  CHECK_FALSE(check("BC"));
  CHECK_FALSE(check(""));
}

TEST_CASE("bits is a patch algorithm name", "[delta][bits]") {
  CHECK(std::string(delta::algorithm_name(PatchAlgorithm::kBits)) == "bits");
  CHECK(delta::parse_algorithm("bits") == PatchAlgorithm::kBits);
}
