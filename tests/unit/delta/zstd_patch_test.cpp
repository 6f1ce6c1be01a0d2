// zstd patch-from (zstd_patch.cpp): limits and hostile patches.
#include "upkeep/delta/zstd_patch.h"

#include <catch2/catch.hpp>
#include <fstream>

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

namespace {
// A file of `size` bytes, mostly a hole, with random 1 MiB blocks at the
// offsets given (seeded by offset and `seed`): large, yet cheap on disk and
// quick to compress.
void sparse_file(const stdfs::path& path, uint64_t size, std::initializer_list<uint64_t> blocks, uint32_t seed) {
  write_text(path, "");
  stdfs::resize_file(path, size);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  for (uint64_t at : blocks) {
    const std::string block = random_bytes(1 << 20, static_cast<uint32_t>(at >> 20) + seed);
    f.seekp(static_cast<std::streamoff>(at));
    f.write(block.data(), static_cast<std::streamsize>(block.size()));
  }
}
}  // namespace

TEST_CASE("a zstd-long patch has no size limit and reaches back across the whole source", "[delta]") {
  TempDir dir;
  const uint64_t size = delta::kMaxZstdPatchSource + (2 << 20);
  // The target keeps the source's blocks but at other places: the first one
  // now lies 64 MiB after where it was, beyond any default zstd window.
  sparse_file(dir / "source", size, {0, 32 << 20}, 1);
  sparse_file(dir / "target", size, {32 << 20, delta::kMaxZstdPatchSource}, 1);
  {
    const std::string first = random_bytes(1 << 20, 1);  // the source's block at 0
    std::fstream f(dir / "target", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(delta::kMaxZstdPatchSource));
    f.write(first.data(), static_cast<std::streamsize>(first.size()));
  }
  error_of([&] { delta::make_patch(delta::PatchAlgorithm::kZstd, dir / "source", dir / "target", dir / "p"); },
           ErrorCode::kUsage);
  REQUIRE(delta::make_patch(delta::PatchAlgorithm::kZstdLong, dir / "source", dir / "target", dir / "patch"));
  // Two random MiB moved: only a few kB of patch when the move is found.
  CHECK(stdfs::file_size(dir / "patch") < 64 * 1024);
  const std::string got =
      delta::apply_patch(delta::PatchAlgorithm::kZstdLong, dir / "source", dir / "patch", dir / "out", size);
  CHECK(got == upkeep::hash_file_hex(dir / "target"));
  // The same bytes under the bounded name are refused by the size check (as older clients do).
  error_of([&] { delta::apply_patch(delta::PatchAlgorithm::kZstd, dir / "source", dir / "patch", dir / "out2", size); },
           ErrorCode::kVerification);
  CHECK(delta::parse_algorithm("zstd-long") == delta::PatchAlgorithm::kZstdLong);
}
