// The delta bundle (delta.zst): files.json and the delta index in one zstd
// frame. Round trip, and every way a served bundle can be wrong.
#include "upkeep/delta/delta_bundle.h"

#include <zstd.h>

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "upkeep/base/hash.h"
#include "upkeep/delta/zstd_blob.h"
#include "upkeep/install/manifest.h"

using namespace upkeep;
using namespace upkeep::delta;
using upkeep::test::error_of;

namespace {

std::string hex(char c) { return std::string(64, c); }

// A release's two texts as the publisher makes them: canonical, one line each.
const std::string kManifest = R"({"files":[{"mode":420,"path":"a","sha256":")" + hex('a') +
                              R"(","size":5},{"mode":493,"path":"bin/b","sha256":")" + hex('b') +
                              R"(","size":10}],"format":1,"version":"2.0.0"})";
std::string index_text() {
  return DeltaIndex("2.0.0", {{hex('a'), 5, {7, hex('1')}, {}},
                              {hex('b'), 10, {9, hex('2')}, {{"zstd", hex('c'), {3, hex('3')}}}}})
      .to_json();
}

Stored signed_of(const std::string& bytes) { return {bytes.size(), sha256_hex(bytes)}; }

// Unpacking `bundle`, signed as it is, against kManifest must fail with kVerification.
std::string rejected(const std::string& bundle, const Stored& manifest = signed_of(kManifest)) {
  std::string msg = error_of([&] { unpack_delta_bundle(bundle, signed_of(bundle), manifest, "demo/delta.zst"); },
                             ErrorCode::kVerification);
  CHECK_THAT(msg, Catch::StartsWith("demo/delta.zst"));
  return msg;
}

// One zstd frame of `content` that does not declare its content size.
std::string frame_without_size(const std::string& content) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  REQUIRE(c);
  REQUIRE(!ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0)));
  std::string out(ZSTD_compressBound(content.size()), '\0');
  size_t n = ZSTD_compress2(c, out.data(), out.size(), content.data(), content.size());
  ZSTD_freeCCtx(c);
  REQUIRE(!ZSTD_isError(n));
  out.resize(n);
  REQUIRE(ZSTD_getFrameContentSize(out.data(), out.size()) == ZSTD_CONTENTSIZE_UNKNOWN);
  return out;
}

}  // namespace

TEST_CASE("a delta bundle round-trips: files.json exactly as signed, then the index", "[delta]") {
  const std::string index = index_text();
  REQUIRE(index.find('\n') == std::string::npos);
  const std::string bundle = pack_delta_bundle(kManifest, index);
  CHECK(bundle.size() < kManifest.size() + index.size());  // the shared hashes are compressed once
  // One zstd frame of files.json, "\n", the index, declaring its size.
  CHECK(zstd_decompress(bundle, kMaxBundleContent, "t") == kManifest + "\n" + index);

  DeltaBundle parts = unpack_delta_bundle(bundle, signed_of(bundle), signed_of(kManifest), "demo/delta.zst");
  CHECK(parts.manifest_text == kManifest);
  CHECK(parts.index_text == index);
  FileManifest m = FileManifest::parse(parts.manifest_text);
  DeltaIndex d = DeltaIndex::parse(parts.index_text);
  d.check_matches(m);
  CHECK(d.find(hex('b'))->size == 10);  // from files.json: the index does not repeat sizes
}

TEST_CASE("pack_delta_bundle refuses texts with a newline and bundles clients would refuse", "[delta]") {
  CHECK_THAT(error_of([] { pack_delta_bundle(kManifest + "\n", index_text()); }, ErrorCode::kBadInput),
             Catch::Contains("files.json holds a newline, expected canonical JSON"));
  CHECK_THAT(error_of([] { pack_delta_bundle(kManifest, "{\n}"); }, ErrorCode::kBadInput),
             Catch::Contains("the delta index holds a newline"));
  const std::string huge(kMaxBundleContent, 'x');
  CHECK_THAT(error_of([&] { pack_delta_bundle(kManifest, huge); }, ErrorCode::kBadInput),
             Catch::Contains("clients accept at most " + std::to_string(kMaxBundleContent)));
}

TEST_CASE("a bundle is checked against its signed length and hash before it is decompressed", "[delta]") {
  const std::string bundle = pack_delta_bundle(kManifest, index_text());
  const Stored manifest = signed_of(kManifest);
  std::string damaged = bundle;
  damaged[damaged.size() / 2] ^= 0x20;  // still the signed length; a zstd error if it were decoded
  CHECK_THAT(
      error_of([&] { unpack_delta_bundle(damaged, signed_of(bundle), manifest, "b"); }, ErrorCode::kVerification),
      Catch::Equals("b has SHA-256 " + sha256_hex(damaged) + ", the signed hash is " + sha256_hex(bundle)));
  CHECK_THAT(
      error_of([&] { unpack_delta_bundle(bundle + "x", signed_of(bundle), manifest, "b"); }, ErrorCode::kVerification),
      Catch::Equals("b is " + std::to_string(bundle.size() + 1) + " bytes, the signed length is " +
                    std::to_string(bundle.size())));
}

TEST_CASE("a bundle whose files.json part is not the signed files.json is refused", "[delta]") {
  // Same length, other bytes: a manifest the targets role never signed.
  std::string other = kManifest;
  other.replace(other.find("\"a\""), 3, "\"z\"");
  REQUIRE(other.size() == kManifest.size());
  std::string msg = rejected(pack_delta_bundle(other, index_text()));
  CHECK_THAT(msg, Catch::Contains("its files.json part has SHA-256 " + sha256_hex(other) + ", the signed hash is " +
                                  sha256_hex(kManifest)));
  // Another length.
  msg = rejected(pack_delta_bundle(kManifest + " ", index_text()));
  CHECK_THAT(msg, Catch::Contains("its files.json part is " + std::to_string(kManifest.size() + 1) +
                                  " bytes, the signed length is " + std::to_string(kManifest.size())));
}

TEST_CASE("a bundle without a newline is refused", "[delta]") {
  CHECK_THAT(rejected(zstd_compress(kManifest, 19, "t")),
             Catch::Contains(std::to_string(kManifest.size()) +
                             " bytes without a newline, expected files.json, a newline, the delta index"));
  CHECK_THAT(rejected(zstd_compress("", 19, "t")), Catch::Contains("0 bytes without a newline"));
}

TEST_CASE("a bundle that would decompress to more than the limit costs nothing", "[delta]") {
  SECTION("declared: refused before anything is allocated") {
    // 1 byte over the limit compresses to a few KiB: a decompression bomb.
    const std::string bomb = zstd_compress(std::string(kMaxBundleContent + 1, '\n'), 1, "t");
    CHECK(bomb.size() < 64 * 1024);
    CHECK_THAT(rejected(bomb), Catch::Contains("declares " + std::to_string(kMaxBundleContent + 1) +
                                               " bytes, expected at most " + std::to_string(kMaxBundleContent)));
  }
  SECTION("not declared: refused whatever the size") {
    CHECK_THAT(rejected(frame_without_size(kManifest + "\n" + index_text())),
               Catch::Contains("does not declare its content size"));
  }
}

TEST_CASE("a truncated bundle is refused", "[delta]") {
  const std::string bundle = pack_delta_bundle(kManifest, index_text());
  for (size_t keep : {size_t{0}, size_t{3}, size_t{12}, bundle.size() / 2, bundle.size() - 1}) {
    INFO("kept " << keep << " of " << bundle.size() << " bytes");
    std::string msg = rejected(bundle.substr(0, keep));
    CHECK((Catch::contains(msg, "truncated") || Catch::contains(msg, "not a zstd frame")));
  }
}

TEST_CASE("data after the bundle's frame is refused", "[delta]") {
  const std::string bundle = pack_delta_bundle(kManifest, index_text());
  CHECK_THAT(rejected(bundle + "extra"),
             Catch::Contains("5 bytes of trailing data after the zstd frame, expected none"));
  // A second frame is trailing data too: one bundle is one frame.
  CHECK_THAT(rejected(bundle + bundle), Catch::Contains("trailing data"));
}

TEST_CASE("a bundle in another format is refused", "[delta]") {
  SECTION("not zstd: a plain JSON text served as the bundle") {
    CHECK_THAT(rejected(kManifest + "\n" + index_text()), Catch::Contains("not a zstd frame"));
  }
  SECTION("corrupt zstd data of the right length and declared size") {
    std::string bundle = pack_delta_bundle(kManifest, index_text());
    bundle[bundle.size() - 6] ^= 0x55;  // in the last block or the checksum
    CHECK_THAT(rejected(bundle), Catch::Contains("corrupt zstd data"));
  }
  SECTION("the index of format 1 (delta.json's)") {
    std::string v1 = index_text();
    v1.replace(v1.find("\"format\":2"), 10, "\"format\":1");
    DeltaBundle parts = unpack_delta_bundle(pack_delta_bundle(kManifest, v1),
                                            signed_of(pack_delta_bundle(kManifest, v1)), signed_of(kManifest), "b");
    CHECK_THAT(error_of([&] { DeltaIndex::parse(parts.index_text, "b: the delta index"); }, ErrorCode::kBadInput),
               Catch::Contains("b: the delta index: field 'format' is 1, must be 2"));
  }
}
