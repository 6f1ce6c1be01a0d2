// Blobs (zstd_blob.cpp): round trips and hostile blobs.
#include "upkeep/delta/zstd_blob.h"

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_getFrameHeader
#include <zstd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "delta_test_data.h"
#include "expect_error.h"
#include "test_support.h"
#include "upkeep/delta/codec.h"
#include "upkeep/delta/zstd_stream.h"

using namespace upkeep::test;
using namespace upkeep::test::delta_data;
using upkeep::ErrorCode;
namespace delta = upkeep::delta;

namespace {

// Compresses `data` into dir/blob and returns the blob's size.
uint64_t make_blob(const TempDir& dir, const std::string& data, int level = 19) {
  write_text(dir / "src", data);
  delta::compress_blob(dir / "src", dir / "blob", level);
  return stdfs::file_size(dir / "blob");
}

// Decompressing dir/blob must fail with kVerification naming the blob and leave no output.
std::string rejected(const TempDir& dir, uint64_t expected_size) {
  std::string msg =
      error_of([&] { delta::decompress_blob(dir / "blob", dir / "out", expected_size); }, ErrorCode::kVerification);
  CHECK(msg.find((dir / "blob").string()) != std::string::npos);
  CHECK_FALSE(stdfs::exists(dir / "out"));
  return msg;
}

}  // namespace

TEST_CASE("blobs round-trip and return the hash of what they wrote", "[delta]") {
  TempDir dir;
  std::string data = GENERATE(std::string(), std::string("x"), random_bytes(300000, 1),
                              std::string(3 << 20, 'z') + executable_bytes());
  INFO("size " << data.size());
  make_blob(dir, data, GENERATE(1, 19));
  std::string hash = delta::decompress_blob(dir / "blob", dir / "out", data.size());
  CHECK(read_text(dir / "out") == data);
  CHECK(hash == upkeep::sha256_hex(data));
  CHECK((stdfs::status(dir / "out").permissions() & stdfs::perms::all) ==
        (stdfs::perms::owner_read | stdfs::perms::owner_write));
}

TEST_CASE("a blob is a single zstd frame with its size and checksum", "[delta]") {
  TempDir dir;
  std::string data = executable_bytes();
  uint64_t size = make_blob(dir, data);
  CHECK(size < data.size() / 2);
  std::string blob = read_text(dir / "blob");
  CHECK(blob.substr(0, 4) == std::string("\x28\xb5\x2f\xfd", 4));  // zstd frame magic
  CHECK((static_cast<unsigned char>(blob[4]) & 0x04) != 0);        // checksum flag
}

TEST_CASE("compress_blob refuses a level outside zstd's range", "[delta]") {
  TempDir dir;
  write_text(dir / "src", "x");
  for (int level : {0, 23}) {
    error_of([&] { delta::compress_blob(dir / "src", dir / "blob", level); }, ErrorCode::kUsage);
    CHECK_FALSE(stdfs::exists(dir / "blob"));
  }
}

TEST_CASE("a window past the level's finds repeats further apart, up to the window clients decode", "[delta]") {
  TempDir dir;
  // 3 MiB of noise twice: level 3's 2 MiB window cannot reach back to the first copy.
  const std::string noise = random_bytes(3 << 20, 5), data = noise + noise;
  write_text(dir / "src", data);
  delta::compress_blob(dir / "src", dir / "blob", 3);
  CHECK(stdfs::file_size(dir / "blob") > data.size() * 9 / 10);
  stdfs::remove(dir / "blob");
  delta::compress_blob(dir / "src", dir / "blob", 3, 1, {.window_log = 23});
  CHECK(stdfs::file_size(dir / "blob") < data.size() * 6 / 10);
  CHECK(delta::decompress_blob(dir / "blob", dir / "out", data.size()) == upkeep::sha256_hex(data));
  stdfs::remove(dir / "blob");
  // A window above what clients accept (zstd_stream.h) would make a blob none of them reads.
  const std::string msg = error_of(
      [&] { delta::compress_blob(dir / "src", dir / "blob", 3, 1, {.window_log = delta::kZstdWindowLogMax + 1}); },
      ErrorCode::kUsage);
  CHECK(msg.find("window log 28") != std::string::npos);
  CHECK_FALSE(stdfs::exists(dir / "blob"));
}

TEST_CASE("a blob with the wrong expected size is refused", "[delta]") {
  TempDir dir;
  std::string data = random_bytes(100000, 2);
  make_blob(dir, data);
  CHECK_THAT(rejected(dir, data.size() + 1), Catch::Contains("decompresses to only 100000 bytes, expected 100001"));
  CHECK_THAT(rejected(dir, data.size() - 1), Catch::Contains("more than the expected 99999"));
  CHECK_THAT(rejected(dir, 0), Catch::Contains("more than the expected 0"));
}

TEST_CASE("a truncated blob is refused", "[delta]") {
  TempDir dir;
  std::string data = random_bytes(200000, 3);
  uint64_t size = make_blob(dir, data);
  uint64_t keep = GENERATE_COPY(0, 3, 10, size / 2, size - 1);
  INFO("kept " << keep << " of " << size << " bytes");
  truncate_to(dir / "blob", keep);
  rejected(dir, data.size());
}

TEST_CASE("a blob with a flipped byte is refused", "[delta]") {
  TempDir dir;
  std::string data = random_bytes(5000, 4) + std::string(50000, 'a') + executable_bytes();
  uint64_t size = make_blob(dir, data);
  size_t at = GENERATE_COPY(0, 4, 20, size / 3, size / 2, size - 2);  // magic, descriptor, blocks, checksum
  INFO("flipped byte " << at << " of " << size);
  flip_byte(dir / "blob", at);
  rejected(dir, data.size());
}

TEST_CASE("trailing garbage after a blob's frame is refused", "[delta]") {
  TempDir dir;
  std::string data = random_bytes(1000, 5);
  make_blob(dir, data);
  std::string blob = read_text(dir / "blob");
  SECTION("garbage") { write_text(dir / "blob", blob + "garbage"); }
  SECTION("a second frame") { write_text(dir / "blob", blob + blob); }
  CHECK_THAT(rejected(dir, data.size()), Catch::Contains("trailing"));
}

TEST_CASE("a decompression bomb is refused quickly", "[delta]") {
  TempDir dir;
  make_blob(dir, std::string(100 << 20, '\0'), 3);
  CHECK(stdfs::file_size(dir / "blob") < (100 << 10));
  auto start = std::chrono::steady_clock::now();
  CHECK_THAT(rejected(dir, 1 << 20), Catch::Contains("more than the expected 1048576"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("a blob whose frame asks for a huge window is refused", "[delta]") {
  // zstd frame header: magic, descriptor 0x00 (window descriptor follows, no
  // size, no checksum), window descriptor 0xF8 = 2^(10+31) bytes.
  TempDir dir;
  write_text(dir / "blob", std::string("\x28\xb5\x2f\xfd\x00\xf8", 6) + std::string(16, '\0'));
  rejected(dir, 10);
}

TEST_CASE("zstd_compress makes a frame decompress_blob reads back", "[delta]") {
  TempDir dir;
  std::string data = random_bytes(1000, 6) + std::string(1000, 'b');
  write_text(dir / "blob", delta::zstd_compress(data, 19, "test"));
  CHECK(delta::decompress_blob(dir / "blob", dir / "out", data.size()) == upkeep::sha256_hex(data));
}

TEST_CASE("zstd_compress caps the frame's window when asked", "[delta]") {
  // 6 MiB that level 19 would give an 8 MiB window.
  const std::string data = random_bytes(1 << 20, 7) + std::string(5 << 20, 'c');
  auto window_of = [](const std::string& frame) {
    ZSTD_frameHeader h;
    REQUIRE(ZSTD_getFrameHeader(&h, frame.data(), frame.size()) == 0);
    return h.windowSize;
  };
  CHECK(window_of(delta::zstd_compress(data, 19, "test")) > (4u << 20));
  CHECK(window_of(delta::zstd_compress(data, 19, "test", 22)) == (4u << 20));
  CHECK(window_of(delta::zstd_compress("small", 19, "test", 22)) < 1024);  // no larger than the input
}
