// zstd patch-from (zstd_patch.cpp): limits and hostile patches.
#include "upkeep/delta/zstd_patch.h"

#include <catch2/catch.hpp>

#include "delta_test_data.h"
#include "expect_error.h"
#include "test_support.h"
#include "upkeep/delta/codec.h"

using namespace upkeep::test;
using namespace upkeep::test::delta_data;
using upkeep::ErrorCode;
namespace delta = upkeep::delta;

namespace {
struct Fixture : ExecutablePair {
  Fixture() : ExecutablePair(delta::PatchAlgorithm::kZstd, 3) {}
};
}  // namespace

TEST_CASE("a zstd patch is refused for files above the limit", "[delta]") {
  TempDir dir;
  write_text(dir / "small", "small");
  write_text(dir / "big", "");
  stdfs::resize_file(dir / "big", delta::kMaxZstdPatchSource + 1);  // sparse: costs no disk
  error_of([&] { delta::make_zstd_patch(dir / "big", dir / "small", dir / "patch"); }, ErrorCode::kUsage);
  error_of([&] { delta::make_zstd_patch(dir / "small", dir / "big", dir / "patch"); }, ErrorCode::kUsage);
  CHECK_FALSE(stdfs::exists(dir / "patch"));
  delta::make_zstd_patch(dir / "small", dir / "small", dir / "patch");
  error_of([&] { delta::apply_zstd_patch(dir / "big", dir / "patch", dir / "out", 5); }, ErrorCode::kVerification);
  CHECK_FALSE(stdfs::exists(dir / "out"));
}

TEST_CASE("a zstd patch declares its target size, checked before writing", "[delta]") {
  Fixture f;
  CHECK_THAT(f.rejected(f.target.size() + 1), Catch::Contains("makes " + std::to_string(f.target.size())));
  CHECK_THAT(f.rejected(f.target.size() - 1), Catch::Contains("expected " + std::to_string(f.target.size() - 1)));
  CHECK_THAT(f.rejected(delta::kMaxZstdPatchSource + 1), Catch::Contains("limit"));
}

TEST_CASE("a truncated or corrupted zstd patch is refused", "[delta]") {
  Fixture f;
  uint64_t size = stdfs::file_size(f.dir / "patch");
  SECTION("truncated") {
    uint64_t keep = GENERATE_COPY(0, 3, 8, size / 2, size - 1);
    INFO("kept " << keep << " of " << size);
    truncate_to(f.dir / "patch", keep);
  }
  SECTION("a flipped byte") {
    size_t at = GENERATE_COPY(0, 4, 15, size / 2, size - 2);  // magic, descriptor, block, checksum
    INFO("flipped byte " << at << " of " << size);
    flip_byte(f.dir / "patch", at);
  }
  f.rejected(f.target.size());
}

TEST_CASE("a zstd patch with trailing data is refused", "[delta]") {
  Fixture f;
  write_text(f.dir / "patch", read_text(f.dir / "patch") + "x");
  CHECK_THAT(f.rejected(f.target.size()), Catch::Contains("trailing"));
}

TEST_CASE("a zstd patch applied to another source is refused", "[delta]") {
  Fixture f;
  std::string other = f.source;
  for (size_t i = 0; i < other.size(); i += 1000) other[i] = static_cast<char>(other[i] + 1);
  stdfs::remove(f.dir / "source");
  write_text(f.dir / "source", other);
  f.rejected(f.target.size());
}
