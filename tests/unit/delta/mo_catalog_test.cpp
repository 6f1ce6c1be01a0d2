// Message catalogs made by the real msgfmt: decoded and encoded back exactly,
// and hostile decoded forms refused.
#include "upkeep/delta/mo_catalog.h"

#include <catch2/catch.hpp>

#include "delta_test_data.h"
#include "expect_error.h"
#include "test_support.h"
#include "upkeep/delta/io.h"

using namespace upkeep::test;
using namespace upkeep::test::delta_data;
using upkeep::ErrorCode;
namespace delta = upkeep::delta;

namespace {

uint32_t u32(const std::string& b, size_t at) {
  return static_cast<uint32_t>(delta::get_le(reinterpret_cast<const unsigned char*>(b.data()) + at, 4));
}
void set_u32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>(v >> (8 * i));
}

const std::string& catalog() {
  static const std::string mo = [] {
    TempDir d;
    return msgfmt_catalog(300, false, d);
  }();
  return mo;
}

}  // namespace

TEST_CASE("msgfmt's catalogs decode to distances and an empty hash table, and encode back exactly", "[delta][mo]") {
  const std::string& mo = catalog();
  REQUIRE(delta::is_mo_catalog(mo));
  const auto decoded = delta::decode_mo(mo);
  REQUIRE(decoded);
  CHECK(decoded->size() == mo.size());
  const uint32_t n = u32(mo, 8), originals = u32(mo, 12), hash_size = u32(mo, 20), hash_offset = u32(mo, 24);
  CHECK(n == 301);  // with the header entry
  CHECK(hash_size > n);
  // msgfmt lays strings out one after the other: every distance but the first is 0.
  for (uint32_t i = 1; i < n; ++i) CHECK(u32(*decoded, originals + 8 * i + 4) == 0);
  for (uint32_t i = 0; i < hash_size; ++i) CHECK(u32(*decoded, hash_offset + 4 * i) == 0);
  CHECK(delta::encode_mo(*decoded, mo.size(), "test") == mo);
}

TEST_CASE("what is not a msgfmt catalog is declined", "[delta][mo]") {
  const std::string& mo = catalog();
  CHECK_FALSE(delta::is_mo_catalog(executable_bytes()));
  CHECK_FALSE(delta::decode_mo(executable_bytes()));
  CHECK_FALSE(delta::decode_mo(""));
  CHECK_FALSE(delta::decode_mo(mo.substr(0, 20)));
  std::string other = mo;
  set_u32(other, 4, 1);  // revision 1 (system-dependent strings): not read
  CHECK_FALSE(delta::decode_mo(other));
  other = mo;
  set_u32(other, u32(mo, 24) + 8, u32(other, u32(mo, 24) + 8) ^ 1);  // a hash table msgfmt did not write
  CHECK_FALSE(delta::decode_mo(other));
  other = mo;
  set_u32(other, 12, static_cast<uint32_t>(mo.size()) - 4);  // the originals' table past the end
  CHECK_FALSE(delta::decode_mo(other));
}

TEST_CASE("a hostile decoded catalog is refused naming it, never read outside its bytes", "[delta][mo]") {
  const std::string decoded = *delta::decode_mo(catalog());
  auto refused = [](std::string d) {
    return error_of([&] { delta::encode_mo(d, d.size(), "x.mo"); }, ErrorCode::kVerification);
  };
  std::string d = decoded;
  set_u32(d, 8, 0x10000000);  // a count whose tables cannot fit
  CHECK_THAT(refused(d), Catch::Contains("x.mo"));
  d = decoded;
  set_u32(d, 20, u32(decoded, 8));  // a hash table with no free slot
  CHECK_THAT(refused(d), Catch::Contains("x.mo"));
  d = decoded;
  set_u32(d, u32(decoded, 12) + 4, 0x7fffffff);  // a string past the end
  CHECK_THAT(refused(d), Catch::Contains("do not fit"));
  d = decoded;
  set_u32(d, 24, u32(decoded, 12));  // the hash table over the originals' table
  CHECK_THAT(refused(d), Catch::Contains("not a message catalog"));
  CHECK_THAT(error_of([&] { delta::encode_mo(decoded, decoded.size() - 1, "x.mo"); }, ErrorCode::kVerification),
             Catch::Contains("longer than"));
}
