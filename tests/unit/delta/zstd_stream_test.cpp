// ZstdFrameReader (zstd_stream.cpp): a frame in a byte range of a real file,
// and the window limit a caller sets.
#include "upkeep/delta/zstd_stream.h"

#include <catch2/catch.hpp>

#include "delta_test_data.h"
#include "expect_error.h"
#include "test_support.h"
#include "upkeep/delta/io.h"
#include "upkeep/delta/zstd_blob.h"

using namespace upkeep::test;
using namespace upkeep::test::delta_data;
using upkeep::ErrorCode;
namespace delta = upkeep::delta;

TEST_CASE("a zstd frame in the middle of a file decodes within its range", "[delta]") {
  TempDir dir;
  const std::string data = executable_bytes(), frame = delta::zstd_compress(data, 3, "test");
  write_text(dir / "f", "lead" + frame + "tail");
  delta::InputFile in(dir / "f");
  delta::ZstdFrameReader r(in, 4, frame.size(), "f: test frame");
  std::string out(data.size(), '\0');
  CHECK(r.read(out.data(), out.size()) == data.size());
  CHECK(out == data);
  CHECK(r.at_end());
  CHECK(r.produced() == data.size());
}

TEST_CASE("a zstd frame whose window is above the reader's limit is refused", "[delta]") {
  TempDir dir;
  // 6 MiB: an 8 MiB window at level 19, 4 MiB when capped.
  const std::string data = random_bytes(1 << 20, 8) + std::string(5 << 20, 'd');
  const std::string wide = delta::zstd_compress(data, 19, "test"), narrow = delta::zstd_compress(data, 19, "test", 22);
  write_text(dir / "f", wide + narrow);
  delta::InputFile in(dir / "f");
  std::string out(data.size(), '\0');
  delta::ZstdFrameReader ok(in, wide.size(), narrow.size(), "f: narrow", 22);
  CHECK(ok.read(out.data(), out.size()) == data.size());
  CHECK(ok.at_end());
  delta::ZstdFrameReader refused(in, 0, wide.size(), "f: wide", 22);
  CHECK_THAT(error_of([&] { refused.read(out.data(), out.size()); }, ErrorCode::kVerification),
             Catch::Contains("f: wide: corrupt zstd data"));
  delta::ZstdFrameReader by_default(in, 0, wide.size(), "f: wide");  // blobs' limit: 2^27
  CHECK(by_default.read(out.data(), out.size()) == data.size());
}
