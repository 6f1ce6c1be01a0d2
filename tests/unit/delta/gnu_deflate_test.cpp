// gnu_deflate.h against the real GNU gzip: the raw deflate stream must be
// the one `gzip -<level> -n` writes, byte for byte.
#include "upkeep/delta/gnu_deflate.h"

#include <catch2/catch.hpp>
#include <cstring>

#include "delta_test_data.h"
#include "expect_error.h"
#include "test_support.h"

using namespace upkeep::test;
using namespace upkeep::test::delta_data;
using upkeep::ErrorCode;
namespace delta = upkeep::delta;

namespace {

std::string deflate_ours(int level, const std::string& data, size_t read_size = 1 << 20) {
  size_t off = 0;
  std::string out;
  delta::gnu_deflate(
      level,
      [&](unsigned char* buf, size_t n) {
        const size_t k = std::min({n, read_size, data.size() - off});
        std::memcpy(buf, data.data() + off, k);
        off += k;
        return k;
      },
      [&](const unsigned char* p, size_t n) { out.append(reinterpret_cast<const char*>(p), n); });
  return out;
}

// The deflate stream inside gzip's output: after the 10-byte header (-n), before the 8-byte trailer.
std::string deflate_of_gzip(const std::string& gz) {
  REQUIRE(gz.size() >= 18);
  return gz.substr(10, gz.size() - 18);
}

}  // namespace

TEST_CASE("gnu_deflate writes what GNU gzip writes, at every lazy level", "[delta][gzip]") {
  TempDir dir;
  const int level = GENERATE(4, 5, 6, 7, 8, 9);
  INFO("level " << level);
  SECTION("documentation text of many blocks (the window slides several times)") {
    const std::string text = document_text(30000, 7);
    REQUIRE(text.size() > 300000);
    CHECK(deflate_ours(level, text) == deflate_of_gzip(gzip_bytes(text, level, dir)));
  }
  SECTION("an executable") {
    const std::string exe = executable_bytes();
    CHECK(deflate_ours(level, exe) == deflate_of_gzip(gzip_bytes(exe, level, dir)));
  }
  SECTION("random bytes (stored blocks)") {
    const std::string rnd = random_bytes(200000, 3);
    CHECK(deflate_ours(level, rnd) == deflate_of_gzip(gzip_bytes(rnd, level, dir)));
  }
  SECTION("long runs (matches of 258 bytes)") {
    const std::string runs = std::string(1 << 20, 'a') + "b" + std::string(70000, 'c');
    CHECK(deflate_ours(level, runs) == deflate_of_gzip(gzip_bytes(runs, level, dir)));
  }
  SECTION("empty, one byte, two bytes") {
    for (const std::string s : {std::string(), std::string("a"), std::string("ab")})
      CHECK(deflate_ours(level, s) == deflate_of_gzip(gzip_bytes(s, level, dir)));
  }
}

TEST_CASE("gnu_deflate's output does not depend on how the input arrives", "[delta][gzip]") {
  const std::string text = document_text(5000, 11);
  CHECK(deflate_ours(9, text, 1) == deflate_ours(9, text));
  CHECK(deflate_ours(9, text, 4093) == deflate_ours(9, text));
}

TEST_CASE("gnu_deflate refuses the levels it does not reproduce", "[delta][gzip]") {
  for (int level : {0, 1, 3, 10})
    CHECK(error_of([&] { deflate_ours(level, "data"); }, ErrorCode::kUsage).find(std::to_string(level)) !=
          std::string::npos);
}
