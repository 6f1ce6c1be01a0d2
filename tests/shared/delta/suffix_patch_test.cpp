// bsdiff-style patches (suffix_patch.cpp): the container, and hostile
// patches, crafted stream by stream.
#include "delta/suffix_patch.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <limits>

#include "delta/codec.h"
#include "delta/zstd_blob.h"
#include "delta_test_data.h"
#include "expect_error.h"
#include "test_support.h"

using namespace upkeep::test;
using namespace upkeep::test::delta_data;
using upkeep::ErrorCode;
namespace delta = upkeep::delta;

namespace {

constexpr size_t kHeader = 40;

void put(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>(v >> (8 * i));
}
uint64_t get(const std::string& s, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(s[at + i]);
  return v;
}

struct Triple {
  int64_t add, copy, seek;
};

std::string controls(std::initializer_list<Triple> ts) {
  std::string s;
  for (const Triple& t : ts) {
    put(s, static_cast<uint64_t>(t.add));
    put(s, static_cast<uint64_t>(t.copy));
    put(s, static_cast<uint64_t>(t.seek));
  }
  return s;
}

// Our container around raw (uncompressed) streams.
std::string container(uint64_t target_size, const std::string& control, const std::string& diff,
                      const std::string& extra) {
  std::string c = delta::zstd_compress(control, 3, "t"), d = delta::zstd_compress(diff, 3, "t"),
              e = delta::zstd_compress(extra, 3, "t");
  std::string out = "UPKBSD01";
  for (uint64_t v : {target_size, uint64_t{c.size()}, uint64_t{d.size()}, uint64_t{e.size()}}) put(out, v);
  return out + c + d + e;
}

struct Fixture {
  TempDir dir;
  Fixture() { write_text(dir / "source", "0123456789"); }  // a 10-byte source
  std::string apply(const std::string& patch, uint64_t expected_size) {
    stdfs::remove(dir / "patch");
    write_text(dir / "patch", patch);
    return delta::apply_suffix_patch(dir / "source", dir / "patch", dir / "out", expected_size);
  }
  std::string rejected(const std::string& patch, uint64_t expected_size) {
    return refused([&] { apply(patch, expected_size); }, dir / "patch", dir / "out");
  }
};

}  // namespace

TEST_CASE("a hand-made bsdiff patch applies: add, copy and seek", "[delta]") {
  Fixture f;
  // "0123" plus 1 on each, "XY" extra, seek back to 0, "01" unchanged.
  std::string patch = container(8, controls({{4, 2, -4}, {2, 0, 0}}), std::string("\1\1\1\1\0\0", 6), "XY");
  CHECK(f.apply(patch, 8) == upkeep::sha256_hex("1234XY01"));
}

TEST_CASE("the bsdiff container has our magic, the target size and three frames", "[delta]") {
  ExecutablePair f(delta::PatchAlgorithm::kBsdiff, 5);
  std::string p = read_text(f.dir / "patch");
  CHECK(p.substr(0, 8) == "UPKBSD01");
  CHECK(get(p, 8) == f.target.size());
  CHECK(kHeader + get(p, 16) + get(p, 24) + get(p, 32) == p.size());
  for (size_t at : {kHeader, kHeader + get(p, 16), kHeader + get(p, 16) + get(p, 24)})
    CHECK(p.substr(at, 4) == std::string("\x28\xb5\x2f\xfd", 4));
}

TEST_CASE("a bsdiff patch with a bad header is refused", "[delta]") {
  Fixture f;
  std::string good = container(2, controls({{0, 2, 0}}), "", "ab");
  CHECK(f.apply(good, 2) == upkeep::sha256_hex("ab"));
  stdfs::remove(f.dir / "out");
  SECTION("bad magic") { CHECK_THAT(f.rejected("BSDIFF40" + good.substr(8), 2), Catch::Contains("magic")); }
  SECTION("empty file") { CHECK_THAT(f.rejected("", 2), Catch::Contains("truncated")); }
  SECTION("header cut") { CHECK_THAT(f.rejected(good.substr(0, 30), 2), Catch::Contains("truncated")); }
  SECTION("last stream cut") {
    CHECK_THAT(f.rejected(good.substr(0, good.size() - 1), 2), Catch::Contains("truncated"));
  }
  SECTION("bytes after the streams") { CHECK_THAT(f.rejected(good + "x", 2), Catch::Contains("after the declared")); }
  SECTION("declared lengths overflow") {
    std::string bad = good;
    for (int i = 0; i < 8; ++i) bad[16 + i] = bad[24 + i] = '\xff';
    CHECK_THAT(f.rejected(bad, 2), Catch::Contains("truncated"));
  }
  SECTION("wrong target size") { CHECK_THAT(f.rejected(good, 3), Catch::Contains("makes 2 bytes, expected 3")); }
}

TEST_CASE("hostile control triples are refused", "[delta]") {
  Fixture f;
  const int64_t big = std::numeric_limits<int64_t>::max();
  SECTION("reads past the end of the source") {
    CHECK_THAT(f.rejected(container(11, controls({{11, 0, 0}}), std::string(11, '\0'), ""), 11),
               Catch::Contains("reads past the end of the source"));
  }
  SECTION("reads past the end after a seek") {
    CHECK_THAT(f.rejected(container(4, controls({{0, 0, 8}, {4, 0, 0}}), std::string(4, '\0'), ""), 4),
               Catch::Contains("reads past the end of the source"));
  }
  SECTION("seeks before the start of the source") {
    CHECK_THAT(f.rejected(container(2, controls({{1, 0, -2}, {1, 0, 0}}), std::string(2, '\0'), ""), 2),
               Catch::Contains("seeks outside"));
  }
  SECTION("seeks by an overflowing amount") {
    CHECK_THAT(f.rejected(container(2, controls({{1, 0, big}, {1, 0, 0}}), std::string(2, '\0'), ""), 2),
               Catch::Contains("seeks outside"));
  }
  SECTION("writes past the expected size") {
    CHECK_THAT(f.rejected(container(2, controls({{0, 3, 0}}), "", "abc"), 2), Catch::Contains("writes past"));
    CHECK_THAT(f.rejected(container(2, controls({{2, big, 0}}), std::string(2, '\0'), "abc"), 2),
               Catch::Contains("writes past"));
  }
  SECTION("negative lengths") {
    CHECK_THAT(f.rejected(container(2, controls({{-1, 3, 0}}), "", "abc"), 2), Catch::Contains("negative"));
    CHECK_THAT(f.rejected(container(2, controls({{0, -1, 0}}), "", "abc"), 2), Catch::Contains("negative"));
  }
  SECTION("makes fewer bytes than expected") {
    CHECK_THAT(f.rejected(container(3, controls({{0, 2, 0}}), "", "ab"), 3), Catch::Contains("makes 2 bytes"));
  }
  SECTION("control stream ends inside a triple") {
    CHECK_THAT(f.rejected(container(2, controls({{0, 2, 0}}).substr(0, 20), "", "ab"), 2),
               Catch::Contains("ends inside a triple"));
  }
  SECTION("diff stream shorter than the controls say") {
    CHECK_THAT(f.rejected(container(3, controls({{3, 0, 0}}), std::string(2, '\0'), ""), 3),
               Catch::Contains("diff stream ends"));
  }
  SECTION("extra stream shorter than the controls say") {
    CHECK_THAT(f.rejected(container(3, controls({{0, 3, 0}}), "", "ab"), 3), Catch::Contains("extra stream ends"));
  }
  SECTION("diff stream longer than used") {
    CHECK_THAT(f.rejected(container(2, controls({{2, 0, 0}}), std::string(3, '\0'), ""), 2),
               Catch::Contains("diff stream is longer"));
  }
  SECTION("extra stream longer than used") {
    CHECK_THAT(f.rejected(container(2, controls({{0, 2, 0}}), "", "abc"), 2),
               Catch::Contains("extra stream is longer"));
  }
  SECTION("a stream that is not zstd") {
    std::string p = container(2, controls({{0, 2, 0}}), "", "ab");
    p[kHeader] = 'X';
    CHECK_THAT(f.rejected(p, 2), Catch::Contains("control stream"));
  }
}

TEST_CASE("a made bsdiff patch with a flipped byte in any stream is refused", "[delta]") {
  ExecutablePair f(delta::PatchAlgorithm::kBsdiff, 9);
  std::string p = read_text(f.dir / "patch");
  uint64_t c = get(p, 16), d = get(p, 24), e = get(p, 32);
  // In the middle and in the checksum at the end of each stream.
  size_t at = GENERATE_COPY(kHeader + c / 2, kHeader + c - 2, kHeader + c + d / 2, kHeader + c + d - 2,
                            kHeader + c + d + e / 2, p.size() - 2);
  INFO("flipped byte " << at << " of " << p.size());
  p[at] = static_cast<char>(p[at] ^ 0x5a);
  stdfs::remove(f.dir / "patch");
  write_text(f.dir / "patch", p);
  f.rejected(f.target.size());
}
