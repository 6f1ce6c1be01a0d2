#include "upkeep/install/manifest.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"

using upkeep::Error;
using upkeep::ErrorCode;
using upkeep::FileEntry;
using upkeep::FileManifest;
using upkeep::is_safe_relative_path;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;

using upkeep::test::error_of;

namespace {

const std::string kHelloSha = upkeep::sha256_hex("hello");  // 5 bytes

// One manifest entry as JSON text, for building test documents by hand.
std::string entry(const std::string& path, int64_t size = 5, const std::string& sha = kHelloSha, int64_t mode = 420) {
  return R"({"mode":)" + std::to_string(mode) + R"(,"path":")" + path + R"(","sha256":")" + sha + R"(","size":)" +
         std::to_string(size) + "}";
}

std::string doc(const std::string& entries, const std::string& rest = R"("format":1,"version":"1.2.0")") {
  return "{\"files\":[" + entries + "]," + rest + "}";
}

// Runs `f`, requires an Error with `code`, returns its message.
std::string parse_error(const std::string& text) {
  return error_of([&] { FileManifest::parse(text, "files.json"); }, ErrorCode::kBadInput);
}

void make_tree(const stdfs::path& root) {
  write_text(root / "bin/app", "#!/bin/sh\necho hi\n");
  stdfs::permissions(root / "bin/app", static_cast<stdfs::perms>(0755));
  write_text(root / "lib/data/a.txt", "hello");
  stdfs::permissions(root / "lib/data/a.txt", static_cast<stdfs::perms>(0644));
  write_text(root / "README", "");
  stdfs::permissions(root / "README", static_cast<stdfs::perms>(0600));
}

}  // namespace

TEST_CASE("is_safe_relative_path accepts plain relative paths and says why others are unsafe", "[manifest]") {
  for (const char* ok : {"a", "bin/app", "a/b.c/d", ".hidden/x", "a..b", "...", "-x", "name with space"}) {
    INFO(ok);
    CHECK(is_safe_relative_path(ok));
  }
  std::vector<std::pair<std::string, std::string>> bad = {
      {"", "is empty"},
      {"/etc/passwd", "is absolute"},
      {"../evil", "has a '..' component"},
      {"a/../../x", "has a '..' component"},
      {"a/..", "has a '..' component"},
      {"./a", "has a '.' component"},
      {"a//b", "has an empty component"},
      {"a/", "has an empty component"},
      {"a\\b", "contains a backslash"},
      {"..\\evil", "contains a backslash"},
      {"C:/x", "starts with a drive letter"},
      {"c:x", "starts with a drive letter"},
      {"a/b:stream", "contains ':'"},
      {std::string("a\0b", 3), "contains a NUL byte"},
      {"a\nb", "contains a control character"},
      {std::string(5000, 'a'), "is longer than 4096 bytes"},
  };
  for (const auto& [path, reason] : bad) {
    INFO(path);
    std::string why;
    CHECK_FALSE(is_safe_relative_path(path, &why));
    CHECK(why == reason);
    CHECK_FALSE(is_safe_relative_path(path));  // `why` is optional
  }
}

TEST_CASE("from_directory lists every file sorted with size, mode and hash, to_json is canonical", "[manifest]") {
  TempDir tmp;
  make_tree(tmp.path());
  FileManifest m = FileManifest::from_directory(tmp.path(), "1.2.0");
  REQUIRE(m.files().size() == 3);
  CHECK(m.files()[0].path == "README");
  CHECK(m.files()[1].path == "bin/app");
  CHECK(m.files()[2].path == "lib/data/a.txt");
  const FileEntry* app = m.find("bin/app");
  REQUIRE(app != nullptr);
  CHECK(app->mode == 0755);
  CHECK(app->size == 18);
  CHECK(m.find("README")->mode == 0600);
  CHECK(m.find("lib/data/a.txt")->sha256 == kHelloSha);
  CHECK(m.find("lib/data") == nullptr);
  CHECK(m.find("bin/ap") == nullptr);
  CHECK(m.total_size() == 23);
  CHECK(m.version() == "1.2.0");

  std::string json = m.to_json();
  CHECK(json.rfind(R"({"files":[{"mode":384,"path":"README","sha256":")" + upkeep::sha256_hex("") + R"(","size":0},)",
                   0) == 0);
  CHECK(json.find(R"({"mode":420,"path":"lib/data/a.txt","sha256":")" + kHelloSha +
                  R"(","size":5}],"format":1,"version":"1.2.0"})") != std::string::npos);
  FileManifest back = FileManifest::parse(json);
  CHECK(back.to_json() == json);
  CHECK(back.files().size() == 3);
  back.verify_directory(tmp.path(), FileManifest::Depth::kFull);
}

TEST_CASE("from_directory refuses absolute symlinks, special files, unsafe names and bad versions", "[manifest]") {
  SECTION("absolute symlink") {
    TempDir tmp;
    make_tree(tmp.path());
    stdfs::create_symlink("/etc", tmp / "lib/etc");
    std::string msg = error_of([&] { FileManifest::from_directory(tmp.path(), "1.0.0"); }, ErrorCode::kBadInput);
    CHECK(msg.find("link 'lib/etc' has a target that is absolute") != std::string::npos);
  }
  SECTION("fifo") {
    TempDir tmp;
    REQUIRE(mkfifo((tmp / "pipe").c_str(), 0644) == 0);
    std::string msg = error_of([&] { FileManifest::from_directory(tmp.path(), "1.0.0"); }, ErrorCode::kBadInput);
    CHECK(msg.find("pipe: is a FIFO") != std::string::npos);
  }
  SECTION("unsafe name") {
    TempDir tmp;
    write_text(tmp / "dir/win\\name", "x");
    std::string msg = error_of([&] { FileManifest::from_directory(tmp.path(), "1.0.0"); }, ErrorCode::kBadInput);
    CHECK(msg.find("name 'dir/win\\name' contains a backslash") != std::string::npos);
  }
  SECTION("version") {
    TempDir tmp;
    error_of([&] { FileManifest::from_directory(tmp.path(), "v1"); }, ErrorCode::kBadInput);
  }
  SECTION("missing folder") {
    TempDir tmp;
    error_of([&] { FileManifest::from_directory(tmp / "nope", "1.0.0"); }, ErrorCode::kNotFound);
  }
}

TEST_CASE("parse accepts a well-formed manifest and refuses every malformed one naming entry and field", "[manifest]") {
  FileManifest ok = FileManifest::parse(doc(entry("a") + "," + entry("a-b") + "," + entry("b/c", 7, kHelloSha, 493)));
  CHECK(ok.files().size() == 3);
  CHECK(ok.find("b/c")->mode == 0755);
  CHECK(ok.find("b/c")->size == 7);
  CHECK(ok.version() == "1.2.0");
  CHECK(FileManifest::parse(doc("")).files().empty());

  std::vector<std::pair<std::string, std::string>> cases = {
      {"[]", "files.json: expected a JSON object at the top level"},
      {"{\"files\":[],\"format\":4,\"version\":\"1.0.0\"}", "files.json: field 'format' is 4, expected 1, 2 or 3"},
      {"{\"files\":[],\"format\":0,\"version\":\"1.0.0\"}", "files.json: field 'format' is 0, expected 1, 2 or 3"},
      {"{\"files\":[],\"format\":\"1\",\"version\":\"1.0.0\"}", "field 'format' is \"1\", expected 1, 2 or 3"},
      {"{\"files\":[],\"version\":\"1.0.0\"}", "files.json: missing field 'format'"},
      {"{\"files\":[],\"format\":1}", "files.json: missing field 'version'"},
      {"{\"format\":1,\"version\":\"1.0.0\"}", "files.json: missing field 'files'"},
      {"{\"files\":{},\"format\":1,\"version\":\"1.0.0\"}", "field 'files' must be an array"},
      {"{\"files\":[],\"format\":1,\"version\":7}", "field 'version' must be a string"},
      {"{\"files\":[],\"format\":1,\"version\":\"v1\"}", "'v1' is not a version"},
      {"{\"extra\":1,\"files\":[],\"format\":1,\"version\":\"1.0.0\"}", "files.json: unknown field 'extra'"},
      {doc("7"), "files.json: files[0]: must be an object, found"},
      {doc(entry("a") + R"(,{"path":"b","sha256":")" + kHelloSha + R"(","size":5})"),
       "files.json: files[1] (b): field 'mode' is missing"},
      {doc(R"({"mode":420,"path":"a","sha256":")" + kHelloSha + R"("})"), "files[0] (a): field 'size' is missing"},
      {doc(R"({"mode":420,"sha256":")" + kHelloSha + R"(","size":1})"), "files[0]: field 'path' is missing"},
      {doc(R"({"mode":420,"path":"a","size":1})"), "files[0] (a): field 'sha256' is missing"},
      {doc(R"({"mode":420,"path":"a","sha256":")" + kHelloSha + R"(","size":1,"owner":"root"})"),
       "files[0]: unknown field 'owner'"},
      {doc(entry("a", -1)), "files[0] (a): field 'size' is -1, expected a non-negative integer"},
      {doc(R"({"mode":420,"path":"a","sha256":")" + kHelloSha + R"(","size":"5"})"),
       "files[0] (a): field 'size' must be an integer, found a string"},
      {doc(R"({"mode":420,"path":7,"sha256":")" + kHelloSha + R"(","size":5})"),
       "files[0]: field 'path' must be a string"},
      {doc(entry("a", 5, kHelloSha, 4096)), "files[0] (a): field 'mode' is 4096, expected 0..4095"},
      {doc(entry("a", 5, kHelloSha, -1)), "files[0] (a): field 'mode' is -1"},
      {doc(entry("a", 5, "ABCDEF" + kHelloSha.substr(6))), "files[0] (a): field 'sha256' must be 64 lower-case hex"},
      {doc(entry("a", 5, kHelloSha.substr(1))), "field 'sha256' must be 64 lower-case hex"},
      {doc(entry("a", 5, kHelloSha.substr(1) + "g")), "field 'sha256' must be 64 lower-case hex"},
      {doc(entry("../evil")), "files[0]: field 'path' '../evil' has a '..' component"},
      {doc(entry("/abs")), "files[0]: field 'path' '/abs' is absolute"},
      {doc(entry("a\\\\b")), "files[0]: field 'path' 'a\\b' contains a backslash"},
      {doc(entry("C:/x")), "field 'path' 'C:/x' starts with a drive letter"},
      {doc(entry("a//b")), "has an empty component"},
      {doc(entry("a") + "," + entry("a")), "files.json: files[1] (a): field 'path' is listed twice"},
      {doc(entry("b") + "," + entry("a")), "files[1] (a): field 'path' is out of order"},
      {doc(entry("a") + "," + entry("a/b")), "files[1] (a/b): field 'path' lies below 'a', which is also listed"},
      {doc(entry("a") + "," + entry("a-b") + "," + entry("a/b/c")), "files[2] (a/b/c): field 'path' lies below 'a'"},
      {"{\"files\":[],\"format\":1,", "files.json: invalid JSON"},
  };
  for (const auto& [text, expected] : cases) {
    INFO(text);
    std::string msg = parse_error(text);
    INFO(msg);
    CHECK(msg.find(expected) != std::string::npos);
  }
}

TEST_CASE("verify_directory finds every kind of difference and names the file", "[manifest]") {
  TempDir tmp;
  const stdfs::path root = tmp / "v";
  make_tree(root);
  const FileManifest m = FileManifest::from_directory(root, "2.0.0");
  m.verify_directory(root, FileManifest::Depth::kQuick);
  m.verify_directory(root, FileManifest::Depth::kFull);

  auto verify_error = [&](FileManifest::Depth depth) {
    return error_of([&] { m.verify_directory(root, depth); }, ErrorCode::kVerification);
  };

  SECTION("wrong size") {
    write_text(root / "lib/data/a.txt", "hello!!");
    CHECK(verify_error(FileManifest::Depth::kQuick).rfind("lib/data/a.txt: size 7, expected 5", 0) == 0);
  }
  SECTION("wrong mode") {
    stdfs::permissions(root / "bin/app", static_cast<stdfs::perms>(0644));
    CHECK(verify_error(FileManifest::Depth::kQuick).rfind("bin/app: mode 0644, expected 0755", 0) == 0);
  }
  SECTION("same size, different content: quick check passes (stat only), full check fails") {
    write_text(root / "lib/data/a.txt", "HELLO");
    m.verify_directory(root, FileManifest::Depth::kQuick);
    std::string msg = verify_error(FileManifest::Depth::kFull);
    CHECK(msg.rfind("lib/data/a.txt: content differs (sha256 " + upkeep::sha256_hex("HELLO") + ", expected " +
                        kHelloSha + ")",
                    0) == 0);
  }
  SECTION("missing file") {
    stdfs::remove(root / "README");
    CHECK(verify_error(FileManifest::Depth::kQuick).rfind("README: missing", 0) == 0);
  }
  SECTION("extra file") {
    write_text(root / "bin/extra", "x");
    CHECK(verify_error(FileManifest::Depth::kQuick).rfind("bin/extra: unexpected file", 0) == 0);
  }
  SECTION("extra empty directory") {
    stdfs::create_directory(root / "lib/plugins");
    CHECK(verify_error(FileManifest::Depth::kQuick).rfind("lib/plugins: unexpected directory", 0) == 0);
  }
  SECTION("file replaced by a symlink to identical content") {
    write_text(tmp / "elsewhere", "hello");
    stdfs::remove(root / "lib/data/a.txt");
    stdfs::create_symlink(tmp / "elsewhere", root / "lib/data/a.txt");
    CHECK(verify_error(FileManifest::Depth::kFull).rfind("lib/data/a.txt: is a symlink", 0) == 0);
  }
  SECTION("directory replaced by a symlink to an identical tree") {
    stdfs::rename(root / "lib", tmp / "lib");
    stdfs::create_directory_symlink(tmp / "lib", root / "lib");
    CHECK(verify_error(FileManifest::Depth::kFull).rfind("lib: unexpected symlink (not in the manifest)", 0) == 0);
  }
  SECTION("file replaced by a directory") {
    stdfs::remove(root / "README");
    stdfs::create_directory(root / "README");
    CHECK(verify_error(FileManifest::Depth::kQuick).rfind("README: unexpected directory", 0) == 0);
  }
  SECTION("not a directory at all") {
    std::string msg =
        error_of([&] { m.verify_directory(tmp / "absent", FileManifest::Depth::kQuick); }, ErrorCode::kVerification);
    CHECK(msg.find("is not a directory") != std::string::npos);
  }
}

TEST_CASE("listing digest: the folder matches its manifest until a name or type changes", "[manifest]") {
  TempDir dir;
  stdfs::path v = dir / "v";
  write_text(v / "bin/app", "app");
  write_text(v / "lib/a/b.so", "b");
  write_text(v / "README", "r");
  FileManifest m = FileManifest::from_directory(v, "1.0.0");
  const std::string signed_listing = m.listing_digest();
  CHECK(FileManifest::listing_digest_of(v) == signed_listing);
  // Content is not part of the listing (it was hashed when staged).
  write_text(v / "README", "changed");
  CHECK(FileManifest::listing_digest_of(v) == signed_listing);

  SECTION("an extra file") { write_text(v / "lib/extra.so", "x"); }
  SECTION("an extra empty folder") { stdfs::create_directories(v / "share"); }
  SECTION("a missing file") { stdfs::remove(v / "bin/app"); }
  SECTION("a file turned symlink") {
    stdfs::remove(v / "bin/app");
    stdfs::create_symlink("/bin/sh", v / "bin/app");
  }
  SECTION("a renamed file") { stdfs::rename(v / "README", v / "README.txt"); }
  CHECK(FileManifest::listing_digest_of(v) != signed_listing);
}
