// The decoded form of LLVM bitcode, on bitcode made by the real clang.
#include "upkeep/delta/bitcode.h"

#include <catch2/catch.hpp>

#include "delta_test_data.h"
#include "expect_error.h"
#include "test_support.h"

using namespace upkeep::test;
using namespace upkeep::test::delta_data;
using upkeep::ErrorCode;
namespace delta = upkeep::delta;

namespace {

const std::string& program_bitcode() {
  static const std::string bc = [] {
    TempDir dir;
    return clang_bitcode(c_program(40, false), dir);
  }();
  return bc;
}

std::string encoded(const std::string& decoded, uint64_t max) { return delta::encode_bitcode(decoded, max, "test"); }

}  // namespace

TEST_CASE("clang's bitcode decodes to a byte-aligned form that encodes back to the same bytes", "[delta][bitcode]") {
  const std::string& bc = program_bitcode();
  REQUIRE(bc.substr(0, 4) == "BC\xC0\xDE");
  const auto decoded = delta::decode_bitcode(bc);
  REQUIRE(decoded);
  CHECK(decoded->size() > bc.size() / 2);
  CHECK(decoded->size() <= delta::kMaxDecodedRatio * bc.size());
  CHECK(encoded(*decoded, bc.size()) == bc);
}

TEST_CASE("bitcode in its wrapper header decodes and encodes back, header included", "[delta][bitcode]") {
  const std::string& bc = program_bitcode();
  // The wrapper: magic, version, offset 20, size, CPU type, each 32-bit little-endian.
  auto le32 = [](uint32_t v) { return std::string{char(v), char(v >> 8), char(v >> 16), char(v >> 24)}; };
  const std::string wrapped = le32(0x0B17C0DE) + le32(0) + le32(20) + le32(static_cast<uint32_t>(bc.size())) + le32(7) +
                              bc + std::string(8, '\0');
  const auto decoded = delta::decode_bitcode(wrapped);
  REQUIRE(decoded);
  CHECK(encoded(*decoded, wrapped.size()) == wrapped);
}

TEST_CASE("decode_bitcode declines what is not bitcode it can give back exactly", "[delta][bitcode]") {
  const std::string& bc = program_bitcode();
  CHECK_FALSE(delta::decode_bitcode(""));
  CHECK_FALSE(delta::decode_bitcode("BC"));
  CHECK_FALSE(delta::decode_bitcode(executable_bytes()));
  CHECK_FALSE(delta::decode_bitcode(bit_stream(2000, 3)));          // the magic, then no block
  CHECK_FALSE(delta::decode_bitcode(bc.substr(0, bc.size() / 2)));  // a block cut off
  // A wrapper that points past the end.
  std::string wrapped = std::string("\xDE\xC0\x17\x0B", 4) + std::string(4, '\0') + std::string("\xff\0\0\0", 4) +
                        std::string(8, '\0') + bc;
  CHECK_FALSE(delta::decode_bitcode(wrapped));
}

TEST_CASE("bytes after the last block that start no block are kept as they are", "[delta][bitcode]") {
  const std::string padded = program_bitcode() + std::string("\x00\xff\x10\x00", 4) + random_bytes(500, 4);
  const auto decoded = delta::decode_bitcode(padded);
  REQUIRE(decoded);
  CHECK(encoded(*decoded, padded.size()) == padded);
}

TEST_CASE("encode_bitcode refuses a damaged decoded form naming it", "[delta][bitcode]") {
  const std::string& bc = program_bitcode();
  const std::string decoded = *delta::decode_bitcode(bc);
  std::string bad;
  std::string expect;
  SECTION("truncated") {
    bad = decoded.substr(0, decoded.size() - 100);
    expect = "past the end";
  }
  SECTION("trailing data") {
    bad = decoded + "x";
    expect = "trailing data";
  }
  SECTION("empty") {
    bad = "";
    expect = "past the end";
  }
  SECTION("more than the size it may make") {
    const std::string msg =
        error_of([&] { delta::encode_bitcode(decoded, bc.size() - 1, "test"); }, ErrorCode::kVerification);
    CHECK(msg.find("more than the expected size") != std::string::npos);
    return;
  }
  const std::string msg =
      error_of([&] { delta::encode_bitcode(bad, bc.size(), "the patch"); }, ErrorCode::kVerification);
  INFO(msg);
  CHECK(msg.find("the patch") != std::string::npos);
  CHECK(msg.find(expect) != std::string::npos);
}

TEST_CASE("a value wider than its field is refused, not truncated", "[delta][bitcode]") {
  const std::string& bc = program_bitcode();
  std::string decoded = *delta::decode_bitcode(bc);
  // After the prefix (varint 4 and the magic) comes the block flag (1) and the
  // 2-bit ENTER_SUBBLOCK id (1); make that id 4, which 2 bits cannot hold.
  REQUIRE(decoded[0] == 4);
  REQUIRE(decoded[5] == 1);
  REQUIRE(decoded[6] == 1);
  decoded[6] = 4;
  const std::string msg = error_of([&] { encoded(decoded, bc.size()); }, ErrorCode::kVerification);
  CHECK(msg.find("wider than its field") != std::string::npos);
}
