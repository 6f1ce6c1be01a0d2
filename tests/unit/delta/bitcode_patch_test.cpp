// Bitcode patches through codec.h, on two builds of a C program compiled to
// LLVM bitcode by the real clang (the benchmark runs them on postgresql-15's
// bitcode).
#include "upkeep/delta/bitcode_patch.h"

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

struct ClangPair : FilePair {
  ClangPair() : FilePair(PatchAlgorithm::kBitcode, files()) {}
  static const std::pair<std::string, std::string>& files() {
    static const std::pair<std::string, std::string> built = [] {
      TempDir d;
      return std::pair{clang_bitcode(c_program(200, false), d), clang_bitcode(c_program(200, true), d)};
    }();
    return built;
  }
};

}  // namespace

TEST_CASE("a bitcode patch rebuilds clang's bitcode exactly, smaller than byte and bit-shift patches",
          "[delta][bitcode]") {
  ClangPair p;
  REQUIRE(p.make());
  CHECK(p.apply() == upkeep::sha256_hex(p.target));
  CHECK(read_text(p.dir / "out") == p.target);
  CHECK((stdfs::status(p.dir / "out").permissions() & stdfs::perms::all) ==
        (stdfs::perms::owner_read | stdfs::perms::owner_write));
  only_inputs_left(p.dir);

  const uint64_t bitcode = stdfs::file_size(p.dir / "patch");
  const uint64_t zstd = p.other_patch(PatchAlgorithm::kZstd);
  const uint64_t bsdiff = p.other_patch(PatchAlgorithm::kBsdiff);
  const uint64_t bits = p.other_patch(PatchAlgorithm::kBits);
  INFO("bitcode " << bitcode << " bytes, bits " << bits << ", zstd " << zstd << ", bsdiff " << bsdiff << ", file "
                  << p.target.size());
  CHECK(bitcode * 10 < std::min(zstd, bsdiff) * 6);
  CHECK(bitcode < bits);
}

TEST_CASE("make_bitcode_patch declines files that are not bitcode, and writes nothing", "[delta][bitcode]") {
  ClangPair p;
  SECTION("the target is not bitcode") { write_text(p.dir / "target", executable_bytes()); }
  SECTION("the source is a bit stream but not bitcode") { write_text(p.dir / "source", bit_stream(5000, 1)); }
  SECTION("the target is cut short") { write_text(p.dir / "target", p.target.substr(0, p.target.size() / 2)); }
  CHECK_FALSE(p.make());
  CHECK_FALSE(stdfs::exists(p.dir / "patch"));
  only_inputs_left(p.dir);
}

TEST_CASE("a damaged or misdirected bitcode patch is refused naming it, and leaves nothing", "[delta][bitcode]") {
  ClangPair p;
  REQUIRE(p.make());
  std::string patch = read_text(p.dir / "patch");
  std::string expect;
  SECTION("wrong magic") {
    patch[4] = 'X';
    expect = "UPKLBC01";
  }
  SECTION("unknown inner algorithm") {
    patch[8] = 5;
    expect = "inner algorithm 5";
  }
  SECTION("a decoded target no file of this size has") {
    patch[24] = 1;
    expect = "decodes to";
  }
  SECTION("truncated header") {
    patch.resize(20);
    expect = "not a bitcode patch";
  }
  SECTION("corrupt inner patch") {
    patch[patch.size() - 3] ^= 0x55;
    expect = "";
  }
  SECTION("truncated inner patch") {
    patch.resize(patch.size() - 5);
    expect = "";
  }
  SECTION("applied to other bitcode") {
    TempDir d;
    write_text(p.dir / "source", clang_bitcode(c_program(5, false), d));
    expect = "not the bitcode it was made from";
  }
  SECTION("applied to a source that is not bitcode") {
    write_text(p.dir / "source", executable_bytes());
    expect = "not the bitcode it was made from";
  }
  check_refused([&] { p.apply(); }, p.dir, patch, expect);
}

TEST_CASE("bitcode is a patch algorithm name", "[delta][bitcode]") {
  CHECK(std::string(delta::algorithm_name(PatchAlgorithm::kBitcode)) == "bitcode");
  CHECK(delta::parse_algorithm("bitcode") == PatchAlgorithm::kBitcode);
}
