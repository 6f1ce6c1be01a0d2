// codec.h through its public entry points: names, and round trips of both
// patch algorithms on the shapes of data a release holds.
#include "upkeep/delta/codec.h"

#include <catch2/catch.hpp>
#include <iostream>

#include "delta_test_data.h"
#include "expect_error.h"
#include "test_support.h"

using namespace upkeep::test;
using namespace upkeep::test::delta_data;
using upkeep::ErrorCode;
namespace delta = upkeep::delta;
using delta::PatchAlgorithm;

TEST_CASE("patch algorithm names round-trip and unknown names are nullopt", "[delta]") {
  for (PatchAlgorithm a : {PatchAlgorithm::kZstd, PatchAlgorithm::kBsdiff})
    CHECK(delta::parse_algorithm(delta::algorithm_name(a)) == a);
  CHECK(std::string(delta::algorithm_name(PatchAlgorithm::kZstd)) == "zstd");
  CHECK(std::string(delta::algorithm_name(PatchAlgorithm::kBsdiff)) == "bsdiff");
  CHECK_FALSE(delta::parse_algorithm("xdelta3"));
  CHECK_FALSE(delta::parse_algorithm(""));
  CHECK_FALSE(delta::parse_algorithm("ZSTD"));
}

TEST_CASE("both patch algorithms round-trip empty, identical, edited and random files", "[delta]") {
  PatchAlgorithm a = GENERATE(PatchAlgorithm::kZstd, PatchAlgorithm::kBsdiff);
  INFO("algorithm " << delta::algorithm_name(a));
  TempDir dir;
  const std::string data = random_bytes(50000, 1) + std::string(20000, 'x') + "text text text";
  SECTION("empty to empty") { round_trip(a, "", "", dir); }
  SECTION("empty to data") { round_trip(a, "", data, dir); }
  SECTION("data to empty") { round_trip(a, data, "", dir); }
  SECTION("one byte to one other byte") { round_trip(a, "a", "b", dir); }
  SECTION("identical") { CHECK(round_trip(a, data, data, dir) < 200); }
  SECTION("small edit") {
    std::string target = data;
    target[100] = 'Q';
    target[40000] = 'Q';
    CHECK(round_trip(a, data, target, dir) < 300);
  }
  SECTION("insertion shifting everything") {
    std::string target = data;
    target.insert(10, "inserted near the start");
    CHECK(round_trip(a, data, target, dir) < 300);
  }
  SECTION("random incompressible data, unrelated") {
    std::string target = random_bytes(40000, 2);
    uint64_t size = round_trip(a, random_bytes(40000, 3), target, dir);
    CHECK(size < target.size() + target.size() / 50);  // no blow-up either
  }
}

TEST_CASE("a small edit of 1 MB gives a patch under 5 percent of the target", "[delta]") {
  PatchAlgorithm a = GENERATE(PatchAlgorithm::kZstd, PatchAlgorithm::kBsdiff);
  INFO("algorithm " << delta::algorithm_name(a));
  TempDir dir;
  const std::string source = random_bytes(1 << 20, 7);  // incompressible: only the delta can help
  std::string target = source;
  for (size_t at : {1000u, 300000u, 300001u, 777777u}) target[at] = static_cast<char>(target[at] + 1);
  CHECK(round_trip(a, source, target, dir) < target.size() / 20);
}

TEST_CASE("an edited executable round-trips with both algorithms", "[delta]") {
  const std::string source = executable_bytes();
  const std::string target = edited(source, 11);
  TempDir zdir, bdir;
  uint64_t zstd = round_trip(PatchAlgorithm::kZstd, source, target, zdir);
  uint64_t bsdiff = round_trip(PatchAlgorithm::kBsdiff, source, target, bdir);
  // Measured for the report: both far below the target, which compresses to about 40%.
  std::cerr << "[delta] /bin/ls (" << source.size() << " bytes) -> edited (" << target.size() << " bytes): zstd patch "
            << zstd << " bytes, bsdiff patch " << bsdiff << " bytes\n";
  CHECK(zstd < target.size() / 20);
  CHECK(bsdiff < target.size() / 20);
}

TEST_CASE("every writer refuses an existing destination and leaves it untouched", "[delta]") {
  TempDir dir;
  write_text(dir / "source", "source bytes");
  write_text(dir / "target", "target bytes");
  write_text(dir / "dest", "already here");
  auto untouched = [&] { CHECK(read_text(dir / "dest") == "already here"); };
  for (PatchAlgorithm a : {PatchAlgorithm::kZstd, PatchAlgorithm::kBsdiff}) {
    error_of([&] { delta::make_patch(a, dir / "source", dir / "target", dir / "dest"); }, ErrorCode::kExists);
    untouched();
    delta::make_patch(a, dir / "source", dir / "target", dir / "patch");
    error_of([&] { delta::apply_patch(a, dir / "source", dir / "patch", dir / "dest", 12); }, ErrorCode::kExists);
    untouched();
    stdfs::remove(dir / "patch");
  }
  error_of([&] { delta::compress_blob(dir / "source", dir / "dest"); }, ErrorCode::kExists);
  untouched();
  delta::compress_blob(dir / "source", dir / "blob");
  error_of([&] { delta::decompress_blob(dir / "blob", dir / "dest", 12); }, ErrorCode::kExists);
  untouched();
}

TEST_CASE("a patch applied with the wrong expected size fails and leaves no output", "[delta]") {
  PatchAlgorithm a = GENERATE(PatchAlgorithm::kZstd, PatchAlgorithm::kBsdiff);
  INFO("algorithm " << delta::algorithm_name(a));
  TempDir dir;
  const std::string source = random_bytes(5000, 4), target = source + "more";
  write_text(dir / "source", source);
  write_text(dir / "target", target);
  delta::make_patch(a, dir / "source", dir / "target", dir / "patch");
  for (uint64_t size : {target.size() - 1, target.size() + 1, uint64_t{0}, uint64_t{1} << 40}) {
    INFO("expected " << size);
    std::string msg = error_of([&] { delta::apply_patch(a, dir / "source", dir / "patch", dir / "out", size); },
                               ErrorCode::kVerification);
    CHECK(msg.find((dir / "patch").string()) != std::string::npos);
    CHECK_FALSE(stdfs::exists(dir / "out"));
  }
}

TEST_CASE("missing inputs are not found errors", "[delta]") {
  TempDir dir;
  write_text(dir / "file", "x");
  for (PatchAlgorithm a : {PatchAlgorithm::kZstd, PatchAlgorithm::kBsdiff}) {
    error_of([&] { delta::make_patch(a, dir / "missing", dir / "file", dir / "p"); }, ErrorCode::kNotFound);
    error_of([&] { delta::apply_patch(a, dir / "file", dir / "missing", dir / "out", 1); }, ErrorCode::kNotFound);
    CHECK_FALSE(stdfs::exists(dir / "p"));
    CHECK_FALSE(stdfs::exists(dir / "out"));
  }
}

TEST_CASE("a full disk is kNoSpace naming the output, and leaves no output", "[delta]") {
  TempDir dir;
  SmallTmpfs disk(dir / "disk", "1m");
  if (!disk.mounted()) {
    WARN("skipping: cannot mount a tmpfs (" << disk.error() << ")");
    return;
  }
  const std::string target = random_bytes(2 << 20, 8);
  write_text(dir / "source", target.substr(0, 1000));
  write_text(dir / "target", target);
  delta::compress_blob(dir / "target", dir / "blob", 1);
  delta::make_patch(PatchAlgorithm::kZstd, dir / "source", dir / "target", dir / "zstd.patch");
  delta::make_patch(PatchAlgorithm::kBsdiff, dir / "source", dir / "target", dir / "bsdiff.patch");
  const stdfs::path out = dir / "disk" / "out";
  auto full = [&](auto&& write) {
    std::string msg = error_of(write, ErrorCode::kNoSpace);
    CHECK_THAT(msg, Catch::Contains("not enough space") && Catch::Contains(out.string()));
    CHECK(stdfs::is_empty(dir / "disk"));
  };
  full([&] { delta::decompress_blob(dir / "blob", out, target.size()); });
  full([&] { delta::apply_patch(PatchAlgorithm::kZstd, dir / "source", dir / "zstd.patch", out, target.size()); });
  full([&] { delta::apply_patch(PatchAlgorithm::kBsdiff, dir / "source", dir / "bsdiff.patch", out, target.size()); });
  full([&] { delta::compress_blob(dir / "target", out, 1); });  // random bytes: the blob is as large
}
