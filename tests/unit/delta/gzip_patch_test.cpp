// gzip patches through codec.h: .gz files made by the real GNU gzip.
#include "upkeep/delta/gzip_patch.h"

#include <catch2/catch.hpp>

#include "delta_test_data.h"
#include "expect_error.h"
#include "test_support.h"
#include "upkeep/delta/codec.h"

using namespace upkeep::test;
using namespace upkeep::test::delta_data;
using upkeep::ErrorCode;
namespace delta = upkeep::delta;
using delta::PatchAlgorithm;

namespace {

// Two releases of a man page: the version in its title changed and one
// paragraph rewritten; each compressed by `gzip -9n`.
struct ManPagePair {
  TempDir dir;
  std::string source, target;
  explicit ManPagePair(int level = 9) {
    const std::string old_text = document_text(6000, 21, "3.0.17");
    std::string new_text = document_text(6000, 21, "3.0.20");
    new_text.insert(new_text.size() / 3, "A paragraph that is new in this release.\n");
    source = gzip_bytes(old_text, level, dir);
    target = gzip_bytes(new_text, level, dir);
    write_text(dir / "source", source);
    write_text(dir / "target", target);
  }
  bool make() { return delta::make_patch(PatchAlgorithm::kGzip, dir / "source", dir / "target", dir / "patch"); }
  std::string apply() {
    return delta::apply_patch(PatchAlgorithm::kGzip, dir / "source", dir / "patch", dir / "out", target.size());
  }
  // Applying dir/patch must be refused; returns the message.
  std::string rejected() {
    return refused([&] { apply(); }, dir / "patch", dir / "out");
  }
  // Only the inputs and the patch: no temporary file stays behind.
  void only_inputs_left() {
    size_t n = 0;
    for (const auto& e : stdfs::directory_iterator(dir.path())) {
      const std::string name = e.path().filename().string();
      CHECK((name == "source" || name == "target" || name == "patch" || name == "out"));
      ++n;
    }
    CHECK(n >= 2);
  }
};

}  // namespace

TEST_CASE("a gzip patch rebuilds the .gz byte for byte and is far smaller than a patch of its bytes", "[delta][gzip]") {
  const int level = GENERATE(6, 9);
  ManPagePair p(level);
  REQUIRE(p.make());
  CHECK(p.apply() == upkeep::sha256_hex(p.target));
  CHECK(read_text(p.dir / "out") == p.target);
  p.only_inputs_left();

  const uint64_t gzip_patch = stdfs::file_size(p.dir / "patch");
  REQUIRE(delta::make_patch(PatchAlgorithm::kZstd, p.dir / "source", p.dir / "target", p.dir / "bytes.zstd"));
  const uint64_t byte_patch = stdfs::file_size(p.dir / "bytes.zstd");
  INFO("gzip patch " << gzip_patch << " bytes, zstd patch of the .gz bytes " << byte_patch << ", .gz "
                     << p.target.size());
  CHECK(gzip_patch * 5 < byte_patch);
  CHECK(gzip_patch < 400);
}

TEST_CASE("make_gzip_patch declines pairs it cannot rebuild exactly, and writes nothing", "[delta][gzip]") {
  ManPagePair p;
  SECTION("the target is not a gzip file") { write_text(p.dir / "target", document_text(100, 1)); }
  SECTION("the source is not a gzip file") { write_text(p.dir / "source", document_text(100, 1)); }
  SECTION("the target was made by gzip -1, which gnu_deflate does not reproduce") {
    write_text(p.dir / "target", gzip_bytes(document_text(6000, 22), 1, p.dir));
  }
  CHECK_FALSE(p.make());
  CHECK_FALSE(stdfs::exists(p.dir / "patch"));
  p.only_inputs_left();
}

TEST_CASE("a damaged or misdirected gzip patch is refused naming it, and leaves nothing", "[delta][gzip]") {
  ManPagePair p;
  REQUIRE(p.make());
  std::string patch = read_text(p.dir / "patch");
  std::string expect;
  SECTION("wrong magic") {
    patch[0] = 'X';
    expect = "UPKGZP01";
  }
  SECTION("level outside 4-9") {
    patch[8] = 1;
    expect = "level 1";
  }
  SECTION("unknown inner algorithm, or itself") {
    patch[9] = 3;
    expect = "inner algorithm 3";
  }
  SECTION("truncated header") {
    patch.resize(12);
    expect = "gzip patch";
  }
  SECTION("a content size no .gz of this size holds") {
    const size_t at = 14 + 10 + 8;  // target content size, after the header and the source size
    patch[at + 6] = 1;
    expect = "content sizes";
  }
  SECTION("corrupt inner patch") {
    patch[patch.size() - 3] ^= 0x55;
    expect = "";
  }
  SECTION("truncated inner patch") {
    patch.resize(patch.size() - 5);
    expect = "";
  }
  SECTION("applied to a different .gz source") {
    write_text(p.dir / "source", gzip_bytes(document_text(100, 9), 9, p.dir));
    expect = "not the gzip file it was made from";
  }
  stdfs::remove(p.dir / "patch");
  write_text(p.dir / "patch", patch);
  const std::string msg = p.rejected();
  CHECK(msg.find(expect) != std::string::npos);
  p.only_inputs_left();
}

TEST_CASE("gzip is a patch algorithm name", "[delta][gzip]") {
  CHECK(std::string(delta::algorithm_name(PatchAlgorithm::kGzip)) == "gzip");
  CHECK(delta::parse_algorithm("gzip") == PatchAlgorithm::kGzip);
}
