#include "upkeep/platform/mapped_file.h"

#include <catch2/catch.hpp>
#include <cstring>

#include "expect_error.h"
#include "test_support.h"

using namespace upkeep::test;
using upkeep::ErrorCode;
using upkeep::MappedFile;

TEST_CASE("a read-only map shows the file, an empty file maps to nothing", "[mapped_file][delta]") {
  TempDir dir;
  write_text(dir / "f", "mapped bytes");
  MappedFile m = MappedFile::open_read_only(dir / "f");
  REQUIRE(m.size() == 12);
  CHECK(std::string(reinterpret_cast<const char*>(m.data()), 12) == "mapped bytes");
  CHECK(m.writable_data() == nullptr);
  write_text(dir / "empty", "");
  MappedFile e = MappedFile::open_read_only(dir / "empty");
  CHECK(e.size() == 0);
  CHECK(e.data() == nullptr);
  error_of([&] { MappedFile::open_read_only(dir / "missing"); }, ErrorCode::kNotFound);
  error_of([&] { MappedFile::open_read_only(dir.path()); }, ErrorCode::kBadInput);
}

TEST_CASE("a private copy can be written and never changes its file", "[mapped_file][delta]") {
  TempDir dir;
  write_text(dir / "f", "mapped bytes");
  {
    MappedFile m = MappedFile::open_private_copy(dir / "f");
    REQUIRE(m.writable_data() != nullptr);
    std::memcpy(m.writable_data(), "MAPPED", 6);
    CHECK(std::string(reinterpret_cast<const char*>(m.data()), 12) == "MAPPED bytes");
    m.sync();  // nothing to write back
    MappedFile other = MappedFile::open_read_only(dir / "f");
    CHECK(std::string(reinterpret_cast<const char*>(other.data()), 12) == "mapped bytes");
  }
  CHECK(read_text(dir / "f") == "mapped bytes");
  error_of([&] { MappedFile::open_private_copy(dir / "missing"); }, ErrorCode::kNotFound);
}

TEST_CASE("a created map writes a new 0600 file of the given size", "[mapped_file][delta]") {
  TempDir dir;
  {
    MappedFile m = MappedFile::create(dir / "new", 5);
    std::memcpy(m.writable_data(), "hello", 5);
    MappedFile moved = std::move(m);
    moved.sync();
  }
  CHECK(read_text(dir / "new") == "hello");
  CHECK((stdfs::status(dir / "new").permissions() & stdfs::perms::all) ==
        (stdfs::perms::owner_read | stdfs::perms::owner_write));
  MappedFile empty = MappedFile::create(dir / "empty", 0);
  empty.sync();
  empty.close();
  CHECK(stdfs::file_size(dir / "empty") == 0);
  std::string msg = error_of([&] { MappedFile::create(dir / "new", 3); }, ErrorCode::kExists);
  CHECK_THAT(msg, Catch::Contains((dir / "new").string()));
  CHECK(read_text(dir / "new") == "hello");
}

TEST_CASE("creating a map larger than the disk is kNoSpace and leaves no file", "[mapped_file][delta]") {
  TempDir dir;
  SmallTmpfs disk(dir / "disk", "64k");
  if (!disk.mounted()) {
    WARN("skipping: cannot mount a tmpfs (" << disk.error() << ")");
    return;
  }
  error_of([&] { MappedFile::create(dir / "disk" / "big", 1 << 20); }, ErrorCode::kNoSpace);
  CHECK(stdfs::is_empty(dir / "disk"));
}
