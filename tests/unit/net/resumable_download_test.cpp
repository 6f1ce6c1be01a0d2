#include "upkeep/net/resumable_download.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/base/hash.h"

using upkeep::ErrorCode;
using upkeep::sha256_hex;
using upkeep::net::ResumableDownload;
using upkeep::test::error_of;
using upkeep::test::read_text;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;

namespace {
const std::string kData = "0123456789abcdefghijklmnopqrstuvwxyz";
}

TEST_CASE("a download resumes after the bytes its .part keeps, hashing them, not fetching them", "[resumable]") {
  TempDir dir;
  const stdfs::path dest = dir / "sub" / "file.bin";
  stdfs::create_directories(dest.parent_path());
  write_text(dest.string() + ".part", kData.substr(0, 10));
  ResumableDownload d("test://file", dest, kData.size(), sha256_hex(kData), nullptr);
  CHECK_FALSE(d.finish_if_complete());
  REQUIRE(d.offset() == 10);
  std::istringstream rest(kData.substr(10));
  d.begin(10, kData.size());
  d.receive(rest);
  d.finish();
  CHECK(read_text(dest) == kData);
  CHECK_FALSE(stdfs::exists(dest.string() + ".part"));
  CHECK(d.result().resumed);
  CHECK(d.result().bytes_transferred == kData.size() - 10);
}

TEST_CASE("a source that ignores the offset starts the .part over", "[resumable]") {
  TempDir dir;
  const stdfs::path dest = dir / "file.bin";
  write_text(dest.string() + ".part", "XXXX");  // not a prefix of the data: would fail the hash if kept
  ResumableDownload d("test://file", dest, kData.size(), sha256_hex(kData), nullptr);
  std::istringstream all(kData);
  d.begin(0, std::nullopt);
  d.receive(all);
  d.finish();
  CHECK(read_text(dest) == kData);
  CHECK_FALSE(d.result().resumed);
}

TEST_CASE("a complete .part from an earlier attempt is finished without the transport", "[resumable]") {
  TempDir dir;
  const stdfs::path dest = dir / "file.bin";
  write_text(dest.string() + ".part", kData);
  ResumableDownload d("test://file", dest, kData.size(), sha256_hex(kData), nullptr);
  CHECK(d.finish_if_complete());
  CHECK(read_text(dest) == kData);
  CHECK(d.result().resumed);
}

TEST_CASE("a wrong length or hash deletes the .part, a short body keeps it", "[resumable]") {
  TempDir dir;
  const stdfs::path dest = dir / "file.bin";
  const std::string part = dest.string() + ".part";
  {
    ResumableDownload d("test://file", dest, kData.size(), sha256_hex(kData), nullptr);
    std::istringstream half(kData.substr(0, 5));
    d.begin(0, std::nullopt);
    d.receive(half);
    CHECK(error_of([&] { d.finish(); }, ErrorCode::kNetwork) == "test://file: connection closed after 5 of 36 bytes");
  }
  CHECK(stdfs::file_size(part) == 5);
  {
    ResumableDownload d("test://file", dest, kData.size(), sha256_hex(kData), nullptr);
    CHECK(error_of([&] { d.begin(5, kData.size() + 1); }, ErrorCode::kVerification) ==
          "test://file: more than 36 bytes");
  }
  CHECK_FALSE(stdfs::exists(part));
  {
    ResumableDownload d("test://file", dest, kData.size(), sha256_hex("other"), nullptr);
    std::istringstream all(kData);
    d.begin(0, kData.size());
    d.receive(all);
    CHECK(error_of([&] { d.finish(); }, ErrorCode::kVerification).find("SHA-256 mismatch") != std::string::npos);
  }
  CHECK_FALSE(stdfs::exists(part));
  CHECK_FALSE(stdfs::exists(dest));
  {
    ResumableDownload d("test://file", dest, 4, sha256_hex("abcd"), nullptr);
    std::istringstream longer("abcdef");
    d.begin(0, std::nullopt);
    CHECK(error_of([&] { d.receive(longer); }, ErrorCode::kVerification) == "test://file: more than 4 bytes");
  }
  CHECK_FALSE(stdfs::exists(part));
}
