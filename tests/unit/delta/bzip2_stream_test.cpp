// bzip2 streams (bzip2_stream.cpp): compression, and Bzip2StreamReader over a
// byte range of a real file, honest and hostile.
#include "upkeep/delta/bzip2_stream.h"

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

// The file dir/f holds `before`, the stream, then `after`; decodes the stream
// (its range only) in reads of `chunk` bytes, then checks that it has ended.
std::string decode(const TempDir& dir, const std::string& stream, size_t chunk = 4096,
                   const std::string& before = "lead", const std::string& after = "tail") {
  stdfs::remove(dir / "f");
  write_text(dir / "f", before + stream + after);
  delta::InputFile in(dir / "f");
  delta::Bzip2StreamReader r(in, before.size(), stream.size(), (dir / "f").string() + ": test stream");
  std::string out, buf(chunk, '\0');
  for (size_t n; (n = r.read(buf.data(), buf.size())) > 0;) out.append(buf, 0, n);
  CHECK(r.at_end());
  CHECK(r.produced() == out.size());
  return out;
}

// Decoding must fail with kVerification naming the file and the stream.
std::string rejected(const TempDir& dir, const std::string& stream) {
  std::string msg = error_of([&] { decode(dir, stream); }, ErrorCode::kVerification);
  CHECK_THAT(msg, Catch::Contains((dir / "f").string() + ": test stream"));
  return msg;
}

}  // namespace

// What a bsdiff diff stream looks like: mostly zeros, a small value here and there.
std::string diff_like(size_t n) {
  std::string s(n, '\0');
  for (size_t at = 0; at < n; at += 61) s[at] = static_cast<char>(at % 7 * 8);
  return s;
}

TEST_CASE("bzip2 streams round-trip at every block size", "[delta]") {
  TempDir dir;
  // Empty, one byte, incompressible, and a diff stream (several blocks at block size 1).
  std::string data = GENERATE(std::string(), std::string("x"), random_bytes(300000, 1), diff_like(3 << 20));
  int block = GENERATE(1, 5, 9);
  INFO("size " << data.size() << ", block size " << block);
  std::string stream = delta::bzip2_compress(data, block, "test");
  CHECK(stream.substr(0, 4) == "BZh" + std::to_string(block));
  CHECK(decode(dir, stream) == data);
  CHECK(decode(dir, stream, 1).size() == data.size());  // byte by byte too
}

TEST_CASE("bzip2_compress refuses a block size outside 1-9 and more than one call takes", "[delta]") {
  for (int block : {0, 10, -1})
    CHECK_THAT(error_of([&] { delta::bzip2_compress("x", block, "test"); }, ErrorCode::kUsage),
               Catch::Contains("block size"));
  // The size is checked before any byte is read.
  const char byte = 'x';
  std::string_view too_much(&byte, delta::kMaxBzip2Input + 1);
  CHECK_THAT(error_of([&] { delta::bzip2_compress(too_much, 9, "test"); }, ErrorCode::kUsage),
             Catch::Contains("too many for one bzip2 call"));
}

TEST_CASE("a truncated bzip2 stream is refused", "[delta]") {
  TempDir dir;
  std::string stream = delta::bzip2_compress(executable_bytes(), 9, "test");
  size_t keep = GENERATE_COPY(0, 3, 10, stream.size() / 2, stream.size() - 1);
  INFO("kept " << keep << " of " << stream.size());
  // The rest of the file follows the shortened range: only the range counts.
  CHECK_THAT(rejected(dir, stream.substr(0, keep)), Catch::Contains("truncated") || Catch::Contains("corrupt"));
}

TEST_CASE("a bzip2 stream with a flipped byte is refused", "[delta]") {
  TempDir dir;
  std::string stream =
      delta::bzip2_compress(random_bytes(5000, 4) + std::string(50000, 'a') + executable_bytes(), 1, "test");
  // Magic, block size, block header, block data, the stream's trailer and CRC.
  size_t at = GENERATE_COPY(0, 3, 5, 12, stream.size() / 3, stream.size() / 2, stream.size() - 3);
  INFO("flipped byte " << at << " of " << stream.size());
  stream[at] = static_cast<char>(stream[at] ^ 0x5a);
  rejected(dir, stream);
}

TEST_CASE("data after a bzip2 stream within its range is refused", "[delta]") {
  TempDir dir;
  std::string stream = delta::bzip2_compress("some bytes", 1, "test");
  std::string tail = GENERATE_COPY(std::string("x"), stream);  // garbage, or a second stream
  CHECK_THAT(rejected(dir, stream + tail), Catch::Contains("trailing data after the bzip2 stream"));
}

TEST_CASE("bytes that are not bzip2 are refused", "[delta]") {
  TempDir dir;
  CHECK_THAT(rejected(dir, "not bzip2 at all"), Catch::Contains("not bzip2 data"));
  CHECK_THAT(rejected(dir, "BZh0" + delta::bzip2_compress("x", 1, "test").substr(4)),
             Catch::Contains("not bzip2 data"));
}

TEST_CASE("a range past the end of the file is refused", "[delta]") {
  TempDir dir;
  std::string stream = delta::bzip2_compress(executable_bytes(), 9, "test");
  write_text(dir / "f", stream);
  delta::InputFile in(dir / "f");
  delta::Bzip2StreamReader r(in, 0, stream.size() + 10, "f: test stream");
  std::string buf(1 << 20, '\0');
  CHECK_THAT(error_of([&] { r.read(buf.data(), buf.size()); }, ErrorCode::kVerification),
             Catch::Contains("f: test stream: the file ends 10 bytes before the declared end"));
}
