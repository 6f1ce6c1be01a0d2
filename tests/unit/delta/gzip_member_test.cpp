// gzip_member.h: splitting real gzip files and putting them back together.
#include "upkeep/delta/gzip_member.h"

#include <catch2/catch.hpp>

#include "delta_test_data.h"
#include "expect_error.h"
#include "test_support.h"

using namespace upkeep::test;
using namespace upkeep::test::delta_data;
using upkeep::ErrorCode;
namespace delta = upkeep::delta;

TEST_CASE("inflate_gzip splits a gzip file into header and content", "[delta][gzip]") {
  TempDir dir;
  const std::string text = document_text(3000, 1);
  const bool with_name = GENERATE(false, true);
  write_text(dir / "f.gz", gzip_bytes(text, 9, dir, with_name));
  auto m = delta::inflate_gzip(dir / "f.gz", dir / "content", 1 << 30);
  REQUIRE(m);
  CHECK(read_text(dir / "content") == text);
  CHECK(m->content_size == text.size());
  if (with_name) {
    CHECK(m->header.size() == 10 + std::string("gzip-input.txt").size() + 1);
    CHECK(m->header.find("gzip-input.txt") != std::string::npos);
  } else {
    CHECK(m->header.size() == 10);
  }
  CHECK(m->header.size() + m->deflate_length + 8 == stdfs::file_size(dir / "f.gz"));
}

TEST_CASE("inflate_gzip declines whatever is not one whole gzip member", "[delta][gzip]") {
  TempDir dir;
  const std::string gz = gzip_bytes(document_text(2000, 2), 9, dir);
  std::string bad;
  SECTION("not gzip at all") { bad = document_text(10, 3); }
  SECTION("truncated") { bad = gz.substr(0, gz.size() / 2); }
  SECTION("no trailer") { bad = gz.substr(0, gz.size() - 8); }
  SECTION("trailing bytes") { bad = gz + "x"; }
  SECTION("two members") { bad = gz + gz; }
  SECTION("wrong CRC") {
    bad = gz;
    bad[bad.size() - 8] ^= 1;
  }
  SECTION("wrong length") {
    bad = gz;
    bad[bad.size() - 1] ^= 1;
  }
  SECTION("reserved flag bits") {
    bad = gz;
    bad[3] = static_cast<char>(0x20);
  }
  SECTION("corrupt deflate stream") {
    bad = gz;
    bad[10] = static_cast<char>(0xff);
  }
  write_text(dir / "bad.gz", bad);
  CHECK_FALSE(delta::inflate_gzip(dir / "bad.gz", dir / "content", 1 << 30));
  CHECK_FALSE(stdfs::exists(dir / "content"));
}

TEST_CASE("inflate_gzip stops at the content limit", "[delta][gzip]") {
  TempDir dir;
  write_text(dir / "bomb.gz", gzip_bytes(std::string(10 << 20, '\0'), 9, dir));
  CHECK(stdfs::file_size(dir / "bomb.gz") < 20000);
  CHECK_FALSE(delta::inflate_gzip(dir / "bomb.gz", dir / "content", 1 << 20));
  CHECK_FALSE(stdfs::exists(dir / "content"));
}

TEST_CASE("rebuild_gzip gives back the file GNU gzip made, and reproducing_level finds its level", "[delta][gzip]") {
  TempDir dir;
  const int level = GENERATE(4, 6, 9);
  const bool with_name = GENERATE(false, true);
  const std::string gz = gzip_bytes(document_text(8000, 4), level, dir, with_name);
  write_text(dir / "f.gz", gz);
  auto m = delta::inflate_gzip(dir / "f.gz", dir / "content", 1 << 30);
  REQUIRE(m);
  const auto found = delta::reproducing_level(dir / "f.gz", *m, dir / "content");
  REQUIRE(found);
  // Levels whose parameters give the same output may be found first.
  std::string sha = delta::rebuild_gzip(m->header, *found, dir / "content", dir / "again.gz", gz.size(), "test");
  CHECK(read_text(dir / "again.gz") == gz);
  CHECK(sha == upkeep::sha256_hex(gz));
}

TEST_CASE("reproducing_level is nullopt for a file GNU gzip's lazy levels did not make", "[delta][gzip]") {
  TempDir dir;
  // gzip -1 matches greedily (deflate_fast), which gnu_deflate does not do.
  write_text(dir / "fast.gz", gzip_bytes(document_text(8000, 5), 1, dir));
  auto m = delta::inflate_gzip(dir / "fast.gz", dir / "content", 1 << 30);
  REQUIRE(m);
  CHECK_FALSE(delta::reproducing_level(dir / "fast.gz", *m, dir / "content"));
}

TEST_CASE("rebuild_gzip refuses to write more than it may, and leaves nothing", "[delta][gzip]") {
  TempDir dir;
  write_text(dir / "content", document_text(3000, 6));
  const std::string msg = error_of(
      [&] {
        delta::rebuild_gzip(std::string("\x1f\x8b\x08\0\0\0\0\0\2\3", 10), 9, dir / "content", dir / "out.gz", 100,
                            "the patch P");
      },
      ErrorCode::kVerification);
  CHECK(msg.find("the patch P") != std::string::npos);
  CHECK_FALSE(stdfs::exists(dir / "out.gz"));
}
