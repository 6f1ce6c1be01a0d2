// bsdiff-style patches (suffix_patch.cpp): the container, the choice of
// codec per stream, and hostile patches, crafted stream by stream.
#include "upkeep/delta/suffix_patch.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <limits>
#include <random>

#include "delta_test_data.h"
#include "expect_error.h"
#include "test_support.h"
#include "upkeep/delta/bzip2_stream.h"
#include "upkeep/delta/codec.h"
#include "upkeep/delta/io.h"
#include "upkeep/delta/zstd_blob.h"
#include "upkeep/delta/zstd_stream.h"

using namespace upkeep::test;
using namespace upkeep::test::delta_data;
using upkeep::ErrorCode;
namespace delta = upkeep::delta;

namespace {

constexpr size_t kHeader = 67;  // magic, target size, 3 x (codec, stored length, decoded length)
constexpr char kZstd = 1, kBzip2 = 2;

void put(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>(v >> (8 * i));
}
uint64_t get(const std::string& s, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(s[at + i]);
  return v;
}
void put_varint(std::string& out, uint64_t v) {
  for (; v >= 0x80; v >>= 7) out += static_cast<char>(v | 0x80);
  out += static_cast<char>(v);
}

struct Triple {
  int64_t add, copy, seek;
};

// The control stream: varints, the seek zigzag-mapped.
std::string controls(std::initializer_list<Triple> ts) {
  std::string s;
  for (const Triple& t : ts) {
    put_varint(s, static_cast<uint64_t>(t.add));
    put_varint(s, static_cast<uint64_t>(t.copy));
    put_varint(s, (static_cast<uint64_t>(t.seek) << 1) ^ static_cast<uint64_t>(t.seek >> 63));
  }
  return s;
}

// One stream of a container as stored: codec byte, compressed bytes, and the
// decoded length its header entry declares.
struct Stored {
  char codec;
  std::string bytes;
  uint64_t decoded;
};

Stored stored(const std::string& raw, char codec = kZstd) {
  return {codec, codec == kBzip2 ? delta::bzip2_compress(raw, 1, "t") : delta::zstd_compress(raw, 3, "t"), raw.size()};
}

std::string assemble(uint64_t target_size, const Stored& control, const Stored& diff, const Stored& extra) {
  std::string out = "UPKBSD02";
  put(out, target_size);
  for (const Stored* s : {&control, &diff, &extra}) {
    out += s->codec;
    put(out, s->bytes.size());
    put(out, s->decoded);
  }
  return out + control.bytes + diff.bytes + extra.bytes;
}

// Our container around raw (uncompressed) streams, every stream in `codec`.
std::string container(uint64_t target_size, const std::string& control, const std::string& diff,
                      const std::string& extra, char codec = kZstd) {
  return assemble(target_size, stored(control, codec), stored(diff, codec), stored(extra, codec));
}

// Where stream i (0 control, 1 diff, 2 extra) of a container starts, and its entry's fields.
size_t stream_at(const std::string& p, int i) {
  size_t at = kHeader;
  for (int j = 0; j < i; ++j) at += get(p, 16 + 17 * j + 1);
  return at;
}
char codec_of(const std::string& p, int i) { return p[16 + 17 * i]; }
uint64_t stored_of(const std::string& p, int i) { return get(p, 16 + 17 * i + 1); }
uint64_t decoded_of(const std::string& p, int i) { return get(p, 16 + 17 * i + 9); }

// Decodes stream i of the patch file at `path` with the reader its codec byte names.
std::string decode_stream(const stdfs::path& path, int i) {
  std::string p = read_text(path);
  delta::InputFile in(path);
  std::unique_ptr<delta::StreamReader> r;
  if (codec_of(p, i) == kBzip2)
    r = std::make_unique<delta::Bzip2StreamReader>(in, stream_at(p, i), stored_of(p, i), "t");
  else
    r = std::make_unique<delta::ZstdFrameReader>(in, stream_at(p, i), stored_of(p, i), "t");
  std::string out(decoded_of(p, i), '\0');
  REQUIRE(r->read(out.data(), out.size()) == out.size());
  CHECK(r->at_end());
  return out;
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

TEST_CASE("a hand-made bsdiff patch applies: add, copy and seek, with either codec", "[delta]") {
  Fixture f;
  char codec = GENERATE(kZstd, kBzip2);
  INFO("codec " << int{codec});
  // "0123" plus 1 on each, "XY" extra, seek back to 0, "01" unchanged.
  std::string patch = container(8, controls({{4, 2, -4}, {2, 0, 0}}), std::string("\1\1\1\1\0\0", 6), "XY", codec);
  CHECK(f.apply(patch, 8) == upkeep::sha256_hex("1234XY01"));
}

TEST_CASE("the streams of one bsdiff patch may mix codecs", "[delta]") {
  Fixture f;
  std::string diff("\1\1\1\1\0\0", 6);
  std::string patch =
      assemble(8, stored(controls({{4, 2, -4}, {2, 0, 0}}), kBzip2), stored(diff, kZstd), stored("XY", kBzip2));
  CHECK(f.apply(patch, 8) == upkeep::sha256_hex("1234XY01"));
}

TEST_CASE("the bsdiff container has our magic, the target size and three streams", "[delta]") {
  ExecutablePair f(delta::PatchAlgorithm::kBsdiff, 5);
  std::string p = read_text(f.dir / "patch");
  CHECK(p.substr(0, 8) == "UPKBSD02");
  CHECK(get(p, 8) == f.target.size());
  CHECK(kHeader + stored_of(p, 0) + stored_of(p, 1) + stored_of(p, 2) == p.size());
  CHECK(decoded_of(p, 1) + decoded_of(p, 2) == f.target.size());
  for (int i = 0; i < 3; ++i) {
    INFO("stream " << i << ", codec " << int{codec_of(p, i)});
    std::string magic = codec_of(p, i) == kBzip2 ? "BZh" : std::string("\x28\xb5\x2f\xfd", 4);
    CHECK(p.substr(stream_at(p, i), magic.size()) == magic);
  }
}

TEST_CASE("the bsdiff maker keeps the smaller of zstd and bzip2 for each stream", "[delta]") {
  // An executable with a relocated-looking edit (a small change every 64
  // bytes, as moved code leaves in pointers), whose diff stream bzip2
  // compresses better, and the plain edit.
  TempDir dir;
  std::string source = executable_bytes(), sparse = source;
  std::mt19937 rng(1);
  for (size_t at = 0; at < sparse.size(); at += 64) sparse[at] = static_cast<char>(sparse[at] + 8 * (1 + rng() % 4));
  std::string target = GENERATE_COPY(sparse, edited(source, 3));
  write_text(dir / "source", source);
  write_text(dir / "target", target);
  delta::make_patch(delta::PatchAlgorithm::kBsdiff, dir / "source", dir / "target", dir / "patch");
  std::string p = read_text(dir / "patch");
  for (int i = 0; i < 3; ++i) {
    std::string raw = decode_stream(dir / "patch", i);
    uint64_t zstd = delta::zstd_compress(raw, 19, "t", 22).size(), bzip2 = std::numeric_limits<uint64_t>::max();
    for (int block = 1; block <= 9; ++block)
      bzip2 = std::min<uint64_t>(bzip2, delta::bzip2_compress(raw, block, "t").size());
    INFO("stream " << i << ": " << raw.size() << " bytes, zstd " << zstd << ", bzip2 " << bzip2);
    CHECK(stored_of(p, i) == std::min(zstd, bzip2));
    CHECK(codec_of(p, i) == (bzip2 < zstd ? kBzip2 : kZstd));
  }
  if (target == sparse) CHECK(codec_of(p, 1) == kBzip2);
  std::string hash =
      delta::apply_patch(delta::PatchAlgorithm::kBsdiff, dir / "source", dir / "patch", dir / "out", target.size());
  CHECK(hash == upkeep::sha256_hex(target));
}

TEST_CASE("a bsdiff patch with a bad header is refused", "[delta]") {
  Fixture f;
  std::string good = container(2, controls({{0, 2, 0}}), "", "ab");
  CHECK(f.apply(good, 2) == upkeep::sha256_hex("ab"));
  stdfs::remove(f.dir / "out");
  SECTION("bad magic") { CHECK_THAT(f.rejected("BSDIFF40" + good.substr(8), 2), Catch::Contains("magic")); }
  SECTION("the previous container version") {
    CHECK_THAT(f.rejected("UPKBSD01" + good.substr(8), 2), Catch::Contains("expected UPKBSD02"));
  }
  SECTION("empty file") { CHECK_THAT(f.rejected("", 2), Catch::Contains("truncated")); }
  SECTION("header cut") { CHECK_THAT(f.rejected(good.substr(0, 60), 2), Catch::Contains("truncated")); }
  SECTION("last stream cut") {
    CHECK_THAT(f.rejected(good.substr(0, good.size() - 1), 2), Catch::Contains("truncated"));
  }
  SECTION("bytes after the streams") { CHECK_THAT(f.rejected(good + "x", 2), Catch::Contains("after the declared")); }
  SECTION("declared lengths overflow") {
    std::string bad = good;
    for (int i = 0; i < 8; ++i) bad[16 + 1 + i] = bad[16 + 17 + 1 + i] = '\xff';
    CHECK_THAT(f.rejected(bad, 2), Catch::Contains("truncated"));
  }
  SECTION("wrong target size") { CHECK_THAT(f.rejected(good, 3), Catch::Contains("makes 2 bytes, expected 3")); }
  SECTION("an unknown codec byte") {
    int stream = GENERATE(0, 1, 2);
    char codec = GENERATE(char{0}, char{3}, '\xff');
    std::string bad = good;
    bad[16 + 17 * stream] = codec;
    CHECK_THAT(f.rejected(bad, 2),
               Catch::Contains("unknown codec byte " + std::to_string(static_cast<unsigned char>(codec))));
  }
  SECTION("decoded lengths that do not add up to the target") {
    CHECK_THAT(f.rejected(assemble(2, stored(controls({{0, 2, 0}})), stored(""), {kZstd, stored("ab").bytes, 3}), 2),
               Catch::Contains("do not add up"));
    uint64_t huge = std::numeric_limits<uint64_t>::max();
    CHECK_THAT(f.rejected(assemble(2, stored(controls({{0, 2, 0}})), {kZstd, stored("").bytes, huge},
                                   {kZstd, stored("ab").bytes, 3}),
                          2),
               Catch::Contains("do not add up"));
  }
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
    CHECK_THAT(f.rejected(container(2, controls({{1, 0, -big - 1}, {1, 0, 0}}), std::string(2, '\0'), ""), 2),
               Catch::Contains("seeks outside"));
  }
  SECTION("writes past the expected size") {
    CHECK_THAT(f.rejected(assemble(2, stored(controls({{0, 3, 0}})), stored(""), {kZstd, stored("abc").bytes, 2}), 2),
               Catch::Contains("writes past"));
    CHECK_THAT(f.rejected(container(2, controls({{2, big, 0}}), std::string(2, '\0'), ""), 2),
               Catch::Contains("writes past"));
  }
  SECTION("lengths above 2^63 - 1") {
    std::string c;
    put_varint(c, uint64_t{1} << 63);
    CHECK_THAT(f.rejected(container(2, c + controls({{0, 0, 0}}).substr(1), "", "ab"), 2),
               Catch::Contains("out of range"));
    CHECK_THAT(f.rejected(container(2, controls({{0, 0, 0}}).substr(0, 1) + c + std::string(1, '\0'), "", "ab"), 2),
               Catch::Contains("out of range"));
  }
  SECTION("a number longer than 64 bits") {
    std::string c = std::string(9, '\xff') + "\x02" + std::string("\0\0", 2);
    CHECK_THAT(f.rejected(container(2, c, "", "ab"), 2), Catch::Contains("longer than 64 bits"));
    c = std::string(12, '\x80') + std::string("\0\0\0", 3);
    CHECK_THAT(f.rejected(container(2, c, "", "ab"), 2), Catch::Contains("longer than 64 bits"));
  }
  SECTION("makes fewer bytes than expected") {
    CHECK_THAT(f.rejected(assemble(3, stored(controls({{0, 2, 0}})), stored(""), {kZstd, stored("ab").bytes, 3}), 3),
               Catch::Contains("makes 2 bytes"));
  }
  SECTION("control stream ends inside a triple") {
    CHECK_THAT(f.rejected(container(2, controls({{0, 2, 0}}).substr(0, 2), "", "ab"), 2),
               Catch::Contains("ends inside a triple"));
    CHECK_THAT(f.rejected(container(2, controls({{0, 2, 0}}) + "\x80", "", "ab"), 2),
               Catch::Contains("ends inside a triple"));
  }
  SECTION("more triples than the target has bytes") {
    // 100,000 empty triples: a few hundred bytes of bzip2, refused after three.
    std::string empties(300000, '\0');
    std::string patch = container(2, empties + controls({{0, 2, 0}}), "", "ab", kBzip2);
    CHECK(patch.size() < 1000);
    CHECK_THAT(f.rejected(patch, 2), Catch::Contains("more triples than the target has bytes"));
  }
}

TEST_CASE("a stream that decodes to other than its declared length is refused", "[delta]") {
  Fixture f;
  char codec = GENERATE(kZstd, kBzip2);
  INFO("codec " << int{codec});
  auto s = [&](const std::string& raw, uint64_t declared) { return Stored{codec, stored(raw, codec).bytes, declared}; };
  const std::string two_adds = controls({{2, 0, 0}}), three_copies = controls({{0, 3, 0}});
  SECTION("the control stream") {
    CHECK_THAT(f.rejected(assemble(2, s(controls({{2, 0, 0}, {0, 0, 0}}), 3), s(std::string(2, '\0'), 2), s("", 0)), 2),
               Catch::Contains("control stream is longer than the 3 bytes its header declares"));
    CHECK_THAT(f.rejected(assemble(2, s(two_adds, 5), s(std::string(2, '\0'), 2), s("", 0)), 2),
               Catch::Contains("control stream ends after 3 bytes, before the 5"));
  }
  SECTION("the diff stream") {
    CHECK_THAT(f.rejected(assemble(2, s(two_adds, 3), s(std::string(3, '\0'), 2), s("", 0)), 2),
               Catch::Contains("diff stream is longer than the 2 bytes its header declares"));
    CHECK_THAT(f.rejected(assemble(3, s(controls({{3, 0, 0}}), 3), s(std::string(2, '\0'), 3), s("", 0)), 3),
               Catch::Contains("diff stream ends after 2 bytes, before the 3"));
    CHECK_THAT(f.rejected(assemble(3, s(controls({{2, 1, 0}}), 3), s(std::string(2, '\0'), 1), s("x", 2)), 3),
               Catch::Contains("diff stream: the control triples use more than the 1 bytes"));
  }
  SECTION("the extra stream") {
    CHECK_THAT(f.rejected(assemble(3, s(three_copies, 3), s("", 0), s("abcd", 3)), 3),
               Catch::Contains("extra stream is longer than the 3 bytes its header declares"));
    CHECK_THAT(f.rejected(assemble(3, s(three_copies, 3), s("", 0), s("ab", 3)), 3),
               Catch::Contains("extra stream ends after 2 bytes, before the 3"));
    CHECK_THAT(f.rejected(assemble(3, s(controls({{1, 2, 0}}), 3), s(std::string(2, '\0'), 2), s("ab", 1)), 3),
               Catch::Contains("extra stream: the control triples use more than the 1 bytes"));
  }
}

TEST_CASE("a decompression bomb in a bsdiff stream is refused quickly", "[delta]") {
  Fixture f;
  char codec = GENERATE(kZstd, kBzip2);
  INFO("codec " << int{codec});
  // 64 MiB of zeros where the header declares 2 bytes.
  std::string zeros(64 << 20, '\0');
  Stored diff{codec, codec == kBzip2 ? delta::bzip2_compress(zeros, 9, "t") : delta::zstd_compress(zeros, 1, "t"), 2};
  CHECK(diff.bytes.size() < (64 << 10));
  std::string patch = assemble(2, stored(controls({{2, 0, 0}})), diff, stored(""));
  auto start = std::chrono::steady_clock::now();
  CHECK_THAT(f.rejected(patch, 2), Catch::Contains("diff stream is longer than the 2 bytes"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("a bsdiff stream that is not what its codec byte says is refused", "[delta]") {
  Fixture f;
  std::string control = controls({{0, 2, 0}});
  SECTION("bzip2 bytes marked zstd") {
    Stored c = stored(control, kBzip2);
    c.codec = kZstd;
    CHECK_THAT(f.rejected(assemble(2, c, stored(""), stored("ab")), 2),
               Catch::Contains("control stream: corrupt zstd"));
  }
  SECTION("zstd bytes marked bzip2") {
    Stored e = stored("ab");
    e.codec = kBzip2;
    CHECK_THAT(f.rejected(assemble(2, stored(control), stored(""), e), 2),
               Catch::Contains("extra stream: not bzip2 data"));
  }
  SECTION("garbage") {
    std::string p = container(2, control, "", "ab");
    p[kHeader] = 'X';
    CHECK_THAT(f.rejected(p, 2), Catch::Contains("control stream"));
  }
}

TEST_CASE("a bzip2 stream in a bsdiff patch that is cut or followed by data is refused", "[delta]") {
  Fixture f;
  Stored extra = stored("ab", kBzip2);
  std::string control = controls({{0, 2, 0}});
  SECTION("cut") {
    size_t keep = GENERATE(0, 3, 10, 20);
    INFO("kept " << keep << " of " << extra.bytes.size());
    extra.bytes.resize(keep);
    CHECK_THAT(f.rejected(assemble(2, stored(control), stored(""), extra), 2), Catch::Contains("extra stream"));
  }
  SECTION("followed by data") {
    std::string tail = GENERATE(std::string("x"), stored("cd", kBzip2).bytes);
    extra.bytes += tail;
    CHECK_THAT(f.rejected(assemble(2, stored(control), stored(""), extra), 2),
               Catch::Contains("extra stream") && Catch::Contains("trailing data after the bzip2 stream"));
  }
}

TEST_CASE("a made bsdiff patch with a flipped byte in any stream is refused", "[delta]") {
  ExecutablePair f(delta::PatchAlgorithm::kBsdiff, 9);
  std::string p = read_text(f.dir / "patch");
  uint64_t c = stored_of(p, 0), d = stored_of(p, 1), e = stored_of(p, 2);
  // Codec bytes, and the middle and the checksum at the end of each stream.
  size_t at = GENERATE_COPY(16, 16 + 17, 16 + 34, kHeader + c / 2, kHeader + c - 3, kHeader + c + d / 2,
                            kHeader + c + d - 3, kHeader + c + d + e / 2, p.size() - 3);
  INFO("flipped byte " << at << " of " << p.size());
  p[at] = static_cast<char>(p[at] ^ 0x5a);
  stdfs::remove(f.dir / "patch");
  write_text(f.dir / "patch", p);
  f.rejected(f.target.size());
}

TEST_CASE("a bsdiff patch of bzip2 streams with a flipped byte is refused", "[delta]") {
  // Real-sized streams: an executable, a diff stream of its relocated-looking
  // edit, and extra bytes from another executable, all bzip2.
  Fixture f;
  const std::string source = executable_bytes();
  write_text(f.dir / "source", source);  // replaces the fixture's
  std::string diff(source.size(), '\0');
  for (size_t at = 0; at < diff.size(); at += 64) diff[at] = 16;
  const std::string extra = read_text("/bin/cp").substr(0, 50000);
  const uint64_t target = diff.size() + extra.size();
  std::string p =
      container(target, controls({{static_cast<int64_t>(diff.size()), static_cast<int64_t>(extra.size()), 0}}), diff,
                extra, kBzip2);
  f.apply(p, target);
  stdfs::remove(f.dir / "out");
  uint64_t c = stored_of(p, 0), d = stored_of(p, 1), e = stored_of(p, 2);
  size_t at = GENERATE_COPY(kHeader + 5, kHeader + c / 2, kHeader + c - 3, kHeader + c + 5, kHeader + c + d / 2,
                            kHeader + c + d - 3, kHeader + c + d + e / 3, kHeader + c + d + e / 2, p.size() - 3);
  INFO("flipped byte " << at << " of " << p.size());
  p[at] = static_cast<char>(p[at] ^ 0x5a);
  f.rejected(p, target);
}
