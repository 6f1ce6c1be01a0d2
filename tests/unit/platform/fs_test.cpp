#include "upkeep/platform/fs.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <map>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/base/error.h"

using upkeep::Error;
using upkeep::ErrorCode;
using upkeep::test::read_text;
using upkeep::test::SmallTmpfs;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace fs = upkeep::fs;
namespace stdfs = std::filesystem;

using upkeep::test::error_of;

namespace {

// Runs `f`, requires an Error with `code`, returns its message.
// Names of the entries of `dir`, sorted.
std::vector<std::string> entries(const stdfs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : stdfs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("write_file_atomic replaces the content and leaves no temporary file", "[fs]") {
  TempDir dir;
  auto file = dir / "config.json";
  fs::write_file_atomic(file, "first");
  CHECK(read_text(file) == "first");
  fs::write_file_atomic(file, "second, longer content");
  CHECK(read_text(file) == "second, longer content");
  fs::write_file_atomic(file, "");
  CHECK(read_text(file).empty());
  CHECK(entries(dir.path()) == std::vector<std::string>{"config.json"});
}

TEST_CASE("write_file_atomic applies the requested mode regardless of the umask", "[fs]") {
  TempDir dir;
  mode_t old = ::umask(0077);
  fs::write_file_atomic(dir / "public", "x", 0644);
  fs::write_file_atomic(dir / "key", "secret", 0600);
  fs::write_file_atomic(dir / "tool", "#!/bin/sh\n", 0755);
  ::umask(old);
  CHECK(fs::file_mode(dir / "public") == 0644);
  CHECK(fs::file_mode(dir / "key") == 0600);
  CHECK(fs::file_mode(dir / "tool") == 0755);
  // Replacing a file takes the new mode too (a key file never stays world-readable).
  fs::write_file_atomic(dir / "public", "y", 0600);
  CHECK(fs::file_mode(dir / "public") == 0600);
}

TEST_CASE("write_file_atomic into a missing folder fails, names the path and leaves nothing", "[fs]") {
  TempDir dir;
  auto msg = error_of([&] { fs::write_file_atomic(dir / "missing/file", "x"); }, ErrorCode::kNotFound);
  CHECK_THAT(msg, Catch::Contains((dir / "missing").string()));
  CHECK(entries(dir.path()).empty());
}

TEST_CASE("read_file returns the content, enforces its limit and reports a missing file", "[fs]") {
  TempDir dir;
  std::string big(200000, 'a');  // more than one read buffer
  write_text(dir / "big", big);
  CHECK(fs::read_file(dir / "big") == big);
  CHECK(fs::read_file(dir / "big", big.size()) == big);  // exactly at the limit is fine
  auto msg = error_of([&] { fs::read_file(dir / "big", 1000); }, ErrorCode::kBadInput);
  CHECK_THAT(msg, Catch::Contains((dir / "big").string()) && Catch::Contains("1000"));
  msg = error_of([&] { fs::read_file(dir / "nope"); }, ErrorCode::kNotFound);
  CHECK_THAT(msg, Catch::Contains((dir / "nope").string()));
}

TEST_CASE("replace_symlink creates a link, replaces an existing one and stores the target as given", "[fs]") {
  TempDir dir;
  stdfs::create_directories(dir / "versions/1");
  stdfs::create_directories(dir / "versions/2");
  auto link = dir / "current";
  fs::replace_symlink(link, "versions/1");
  CHECK(stdfs::is_symlink(link));
  CHECK(fs::read_symlink(link) == stdfs::path("versions/1"));
  fs::replace_symlink(link, "versions/2");
  struct stat st {};
  REQUIRE(::lstat(link.c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
  CHECK(fs::read_symlink(link) == stdfs::path("versions/2"));
  CHECK(stdfs::equivalent(link, dir / "versions/2"));
  CHECK(entries(dir.path()) == std::vector<std::string>{"current", "versions"});
}

TEST_CASE("read_symlink is nullopt for a missing path and for a regular file", "[fs]") {
  TempDir dir;
  write_text(dir / "file", "x");
  CHECK_FALSE(fs::read_symlink(dir / "file").has_value());
  CHECK_FALSE(fs::read_symlink(dir / "missing").has_value());
  stdfs::create_symlink("does/not/exist", dir / "dangling");
  CHECK(fs::read_symlink(dir / "dangling") == stdfs::path("does/not/exist"));
}

TEST_CASE("rename_durable moves files and folders and reports a missing source", "[fs]") {
  TempDir dir;
  write_text(dir / "a/inner/file", "content");
  stdfs::create_directories(dir / "b");
  fs::rename_durable(dir / "a/inner", dir / "b/moved");
  CHECK_FALSE(stdfs::exists(dir / "a/inner"));
  CHECK(read_text(dir / "b/moved/file") == "content");
  auto msg = error_of([&] { fs::rename_durable(dir / "a/inner", dir / "b/again"); }, ErrorCode::kNotFound);
  CHECK_THAT(msg, Catch::Contains((dir / "a/inner").string()));
}

TEST_CASE("create_directories_durable and remove_tree", "[fs]") {
  TempDir dir;
  fs::create_directories_durable(dir / "x/y/z");
  CHECK(stdfs::is_directory(dir / "x/y/z"));
  fs::create_directories_durable(dir / "x/y/z");  // existing: fine
  write_text(dir / "x/y/z/f", "1");
  fs::remove_tree(dir / "x");
  CHECK_FALSE(stdfs::exists(dir / "x"));
  fs::remove_tree(dir / "x");  // missing: fine
  write_text(dir / "file", "1");
  auto msg = error_of([&] { fs::create_directories_durable(dir / "file/sub"); }, ErrorCode::kFailure);
  CHECK_THAT(msg, Catch::Contains((dir / "file/sub").string()));
}

TEST_CASE("sync_tree syncs a folder's file system and names a missing folder", "[fs]") {
  TempDir dir;
  write_text(dir / "a/b.txt", "data");
  fs::sync_tree(dir / "a");  // the durability itself is checked under strace (durability_test.cpp)
  auto msg = error_of([&] { fs::sync_tree(dir / "missing"); }, ErrorCode::kNotFound);
  CHECK_THAT(msg, Catch::Contains((dir / "missing").string()));
}

TEST_CASE("available_bytes reports free space and fails for a missing path", "[fs]") {
  TempDir dir;
  CHECK(fs::available_bytes(dir.path()) > 0);
  error_of([&] { fs::available_bytes(dir / "missing"); }, ErrorCode::kNotFound);
}

TEST_CASE("file modes can be read and set", "[fs]") {
  TempDir dir;
  write_text(dir / "f", "x");
  fs::set_file_mode(dir / "f", 0750);
  CHECK(fs::file_mode(dir / "f") == 0750);
  error_of([&] { fs::file_mode(dir / "missing"); }, ErrorCode::kNotFound);
}

TEST_CASE("self_executable_path is the test binary itself", "[fs]") {
  auto self = fs::self_executable_path();
  CHECK(self.is_absolute());
  CHECK(self.filename() == "unit_tests");
  CHECK(stdfs::is_regular_file(self));
}

TEST_CASE("a full disk is kNoSpace and leaves the old file and no temporary file", "[fs]") {
  TempDir dir;
  SmallTmpfs tmpfs(dir / "small");
  if (!tmpfs.mounted()) {
    WARN("skipping: cannot mount a tmpfs (" << tmpfs.error() << ")");
    return;
  }
  auto file = dir / "small/state";
  fs::write_file_atomic(file, "old content");
  CHECK(fs::available_bytes(dir / "small") <= 64 * 1024);
  std::string huge(256 * 1024, 'z');
  auto msg = error_of([&] { fs::write_file_atomic(file, huge); }, ErrorCode::kNoSpace);
  CHECK_THAT(msg, Catch::Contains("not enough space") && Catch::Contains((dir / "small").string()));
  CHECK(read_text(file) == "old content");
  CHECK(entries(dir / "small") == std::vector<std::string>{"state"});
}

TEST_CASE("list_tree lists every entry once with its type, without following links", "[fs]") {
  TempDir dir;
  write_text(dir / "t/a.txt", "a");
  write_text(dir / "t/sub/deeper/b.txt", "b");
  stdfs::create_directories(dir / "t/empty");
  stdfs::create_symlink("/etc", dir / "t/sub/link");
  std::map<std::string, char> got;
  for (const auto& e : upkeep::fs::list_tree(dir / "t")) got[e.path] = static_cast<char>(e.type);
  CHECK(got == std::map<std::string, char>{{"a.txt", 'f'},
                                           {"empty", 'd'},
                                           {"sub", 'd'},
                                           {"sub/deeper", 'd'},
                                           {"sub/deeper/b.txt", 'f'},
                                           {"sub/link", 'l'}});
  error_of([&] { upkeep::fs::list_tree(dir / "missing"); }, ErrorCode::kNotFound);
}
