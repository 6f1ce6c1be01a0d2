// Manifest format 3: the signed launch spec and symlinks inside a version
// (LinkResolver: one judgement for the release tool and every client).
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/base/hash.h"
#include "upkeep/install/link_resolver.h"
#include "upkeep/install/manifest.h"

using upkeep::ErrorCode;
using upkeep::FileManifest;
using upkeep::HealthRule;
using upkeep::LaunchSpec;
using upkeep::test::error_of;
using upkeep::test::read_text;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;

namespace {

const std::string kSha = upkeep::sha256_hex("hello");

std::string file(const std::string& path, int mode = 493) {
  return R"({"mode":)" + std::to_string(mode) + R"(,"path":")" + path + R"(","sha256":")" + kSha + R"(","size":5})";
}
std::string link_entry(const std::string& path, const std::string& target) {
  return R"({"link":")" + target + R"(","path":")" + path + R"("})";
}
std::string doc(const std::string& entries, int format = 3, const std::string& extra = "") {
  return R"({"files":[)" + entries + R"(],"format":)" + std::to_string(format) + extra + R"(,"version":"1.0.0"})";
}
std::string launch(const std::string& program) {
  return R"(,"launch":{"args":["--x"],"health":"exit","program":")" + program + R"("})";
}
std::string parse_error(const std::string& text) {
  return error_of([&] { FileManifest::parse(text, "files.json"); }, ErrorCode::kBadInput);
}

// A vendor's folder: bin/hello (0755), lib/libx.so.1.0 and lib/libx.so.1 -> libx.so.1.0.
stdfs::path make_app(const TempDir& tmp) {
  const stdfs::path d = tmp / "app";
  write_text(d / "bin/hello", "#!/bin/sh\necho hi\n");
  stdfs::permissions(d / "bin/hello", static_cast<stdfs::perms>(0755));
  write_text(d / "lib/libx.so.1.0", "ELF");
  stdfs::create_symlink("libx.so.1.0", d / "lib/libx.so.1");
  return d;
}

std::string from_directory_error(const stdfs::path& d) {
  return error_of([&] { FileManifest::from_directory(d, "1.0.0"); }, ErrorCode::kBadInput);
}

}  // namespace

TEST_CASE("a release with links and a launch spec is format 3 and reads back the same", "[manifest][links]") {
  TempDir tmp;
  const stdfs::path d = make_app(tmp);
  stdfs::create_symlink("../lib", d / "bin/lib");  // a link to a folder
  const LaunchSpec spec{"bin/hello", {"--from-launcher"}, HealthRule::parse("running:5")};
  const FileManifest m = FileManifest::from_directory(d, "1.0.0", {}, spec);
  const std::string json = m.to_json();
  CHECK(json.find(R"({"link":"libx.so.1.0","path":"lib/libx.so.1"})") != std::string::npos);
  CHECK(json.find(R"({"link":"../lib","path":"bin/lib"})") != std::string::npos);
  CHECK(json.find(R"("format":3,"launch":{"args":["--from-launcher"],"health":"running:5","program":"bin/hello"})") !=
        std::string::npos);
  const FileManifest back = FileManifest::parse(json);
  CHECK(back.to_json() == json);
  REQUIRE(back.launch());
  CHECK(*back.launch() == spec);
  CHECK(back.find("lib/libx.so.1")->link == "libx.so.1.0");
  CHECK(back.find("lib/libx.so.1")->is_link());
  CHECK_FALSE(back.find("lib/libx.so.1.0")->is_link());
  CHECK(back.total_size() == 3 + 18);
  CHECK(back.resolve("bin/lib/libx.so.1")->path == "lib/libx.so.1.0");
  CHECK(back.resolve("bin/lib") == nullptr);  // a folder
  back.verify_directory(d, FileManifest::Depth::kFull);
  CHECK(FileManifest::listing_digest_of(d) == back.listing_digest());

  SECTION("format 1 and 2 stay as they were when there is neither link nor launch spec") {
    TempDir plain;
    write_text(plain / "a", "hello");
    CHECK(FileManifest::from_directory(plain.path(), "1.0.0").to_json().find(R"("format":1)") != std::string::npos);
    const FileManifest only_launch =
        FileManifest::from_directory(d, "1.0.0", {{upkeep::HookKind::kUpdate, "bin/hello", 5}}, spec);
    CHECK(only_launch.to_json().find(R"("format":3,"hooks":{"update")") != std::string::npos);
    CHECK(FileManifest::parse(only_launch.to_json()).hook(upkeep::HookKind::kUpdate));
  }
}

TEST_CASE("from_directory accepts links that resolve inside the tree, following chains", "[manifest][links]") {
  TempDir tmp;
  const stdfs::path d = make_app(tmp);
  stdfs::create_symlink("libx.so.1", d / "lib/libx.so");              // a link to a link to a file
  stdfs::create_symlink("lib", d / "lib64");                          // a link to a folder
  stdfs::create_symlink("../lib64/./libx.so", d / "bin/x");           // through a linked folder
  stdfs::create_symlink(".", d / "self");                             // the version folder itself
  stdfs::create_symlink("bin/../lib/libx.so.1.0", d / "via-parent");  // '..' that stays inside
  const FileManifest m = FileManifest::from_directory(d, "1.0.0");
  CHECK(m.resolve("bin/x")->path == "lib/libx.so.1.0");
  CHECK(m.resolve("self/lib64/libx.so")->path == "lib/libx.so.1.0");
  CHECK(m.resolve("self") == nullptr);
  m.verify_directory(d, FileManifest::Depth::kFull);
}

TEST_CASE("from_directory refuses links that are absolute, leave the tree, dangle or loop, naming the link",
          "[manifest][links]") {
  TempDir tmp;
  const stdfs::path d = make_app(tmp);
  write_text(tmp / "outside/secret", "s");
  SECTION("absolute") {
    stdfs::create_symlink(d / "lib/libx.so.1.0", d / "lib/abs");
    CHECK(from_directory_error(d).find("link 'lib/abs' has a target that is absolute") != std::string::npos);
  }
  SECTION("leaves the tree, even to come back") {
    stdfs::create_symlink("../../app/lib/libx.so.1.0", d / "lib/out");
    CHECK(from_directory_error(d).find("link 'lib/out' -> '../../app/lib/libx.so.1.0' leaves the version folder") !=
          std::string::npos);
  }
  SECTION("to a file outside") {
    stdfs::create_symlink("../outside/secret", d / "escape");
    CHECK(from_directory_error(d).find("link 'escape' -> '../outside/secret' leaves the version folder") !=
          std::string::npos);
  }
  SECTION("dangling") {
    stdfs::create_symlink("libx.so.2", d / "lib/libx.so");
    CHECK(from_directory_error(d).find("link 'lib/libx.so' -> 'libx.so.2' does not resolve: 'lib/libx.so.2' is not "
                                       "in the release") != std::string::npos);
  }
  SECTION("to an empty folder, which a release cannot hold") {
    stdfs::create_directories(d / "plugins");
    stdfs::create_symlink("plugins", d / "addons");
    CHECK(from_directory_error(d).find("link 'addons' -> 'plugins' does not resolve") != std::string::npos);
  }
  SECTION("through a file") {
    stdfs::create_symlink("lib/libx.so.1.0/x", d / "bad");
    CHECK(from_directory_error(d).find("'lib/libx.so.1.0' is a file, not a folder") != std::string::npos);
  }
  SECTION("a chain through a link to an outside folder") {
    stdfs::create_symlink("../outside", d / "zz-out");
    stdfs::create_symlink("../zz-out/secret", d / "lib/chain");
    CHECK(from_directory_error(d).find("link 'lib/chain' -> '../zz-out/secret' leaves the version folder (through "
                                       "link 'zz-out' -> '../outside')") != std::string::npos);
  }
  SECTION("a loop") {
    stdfs::create_symlink("b", d / "a");
    stdfs::create_symlink("a", d / "b");
    CHECK(from_directory_error(d).find("link 'a' -> 'b' passes through more than 40 links (a loop)") !=
          std::string::npos);
  }
  SECTION("a control character in the target") {
    stdfs::create_symlink("lib\nx", d / "nl");
    CHECK(from_directory_error(d).find("link 'nl' has a target that contains a control character") !=
          std::string::npos);
  }
}

TEST_CASE("from_directory checks the launch program: an executable file or a link to one", "[manifest][links]") {
  TempDir tmp;
  const stdfs::path d = make_app(tmp);
  write_text(d / "README", "r");
  stdfs::permissions(d / "README", static_cast<stdfs::perms>(0644));
  stdfs::create_symlink("bin/hello", d / "hello");
  stdfs::create_symlink("README", d / "readme-link");
  auto with = [&](const std::string& program) {
    return FileManifest::from_directory(d, "1.0.0", {}, LaunchSpec{program, {}, {}});
  };
  CHECK(with("bin/hello").launch()->program == "bin/hello");
  CHECK(with("hello").launch()->program == "hello");  // a link to the executable: kept as named
  auto refused = [&](const std::string& program) { return error_of([&] { with(program); }, ErrorCode::kBadInput); };
  CHECK(refused("bin/nope") == d.string() + ": the program 'bin/nope' does not exist in this release folder");
  CHECK(refused("README") == d.string() +
                                 ": the program 'README' has mode 0644, expected an executable file (a mode with an "
                                 "x bit, e.g. 0755)");
  CHECK(refused("readme-link") == d.string() +
                                      ": the program 'readme-link' (a link to 'README') has mode 0644, expected an "
                                      "executable file (a mode with an x bit, e.g. 0755)");
  CHECK(refused("bin") == d.string() +
                              ": the program 'bin' is a folder, expected an executable file in this release "
                              "folder");
  CHECK(refused("lib/libx.so.1/x")
            .find("the program 'lib/libx.so.1/x' does not exist in this release folder "
                  "('lib/libx.so.1/x' does not resolve: 'lib/libx.so.1.0' is a file, not a folder") !=
        std::string::npos);
}

TEST_CASE("parse refuses hostile link entries and launch specs, naming them", "[manifest][links]") {
  const std::string ok = doc(file("bin/app") + "," + link_entry("bin/app.1", "app"), 3, launch("bin/app.1"));
  CHECK(FileManifest::parse(ok).launch()->program == "bin/app.1");

  const std::vector<std::pair<std::string, std::string>> cases = {
      {doc(file("a") + "," + link_entry("b", "a"), 2), "files.json: files[1] (b): field 'link' needs format 3"},
      {doc(file("a"), 2, launch("a")), "files.json: field 'launch' needs format 3, found format 2"},
      {doc(file("a"), 1, launch("a")), "field 'launch' needs format 3, found format 1"},
      {doc(file("a") + "," + link_entry("b", "/etc/passwd")), "files[1] (b): field 'link' is absolute"},
      {doc(file("a") + "," + link_entry("b", "")), "files[1] (b): field 'link' is empty"},
      {doc(file("a") + "," + link_entry("b", "a//x")), "files[1] (b): field 'link' has an empty component"},
      {doc(file("a") + "," + link_entry("b", "a\\\\x")), "files[1] (b): field 'link' contains a backslash"},
      {doc(file("a") + "," + link_entry("b", "x\\u0001")), "files[1] (b): field 'link' contains a control character"},
      {doc(file("a") + "," + link_entry("b", "../a")), "files.json: link 'b' -> '../a' leaves the version folder"},
      {doc(file("a") + "," + link_entry("b", "c")),
       "files.json: link 'b' -> 'c' does not resolve: 'c' is not in the release"},
      {doc(link_entry("a", "b") + "," + link_entry("b", "a")),
       "files.json: link 'a' -> 'b' passes through more than 40 links"},
      {doc(link_entry("a", "x") + "," + file("a/b")),
       "files[1] (a/b): field 'path' lies below 'a', which is also listed"},
      {doc(R"({"link":"a","mode":420,"path":"b"})"), "files[0]: unknown field 'mode' (expected only link, path"},
      {doc(R"({"link":7,"path":"b"})"), "files[0] (b): field 'link' must be a string"},
      {doc(link_entry("../b", "a")), "files[0]: field 'path' '../b' has a '..' component"},
      {doc(file("a") + "," + link_entry("a", "a")), "files[1] (a): field 'path' is listed twice"},
      {doc(file("a"), 3, launch("nope")), "files.json: the program 'nope' does not exist in the manifest"},
      {doc(file("a", 420), 3, launch("a")), "files.json: the program 'a' has mode 0644, expected an executable"},
      {doc(file("d/a"), 3, launch("d")), "files.json: the program 'd' is a folder"},
      {doc(file("a"), 3, launch("../a")), "files.json: launch: field 'program' '../a' has a '..' component"},
      {doc(file("a"), 3, R"(,"launch":{"args":[],"health":"sometimes","program":"a"})"),
       "files.json: launch.health is 'sometimes'"},
      {doc(file("a"), 3, R"(,"launch":{"args":[],"health":"exit","program":"a","shell":true})"),
       "unknown field 'shell'"},
      {doc(file("a"), 3, R"(,"launch":"a")"), "files.json: launch: must be an object"},
  };
  for (const auto& [text, expected] : cases) {
    INFO(text);
    const std::string msg = parse_error(text);
    INFO(msg);
    CHECK(msg.find(expected) != std::string::npos);
  }
}

TEST_CASE("verify_directory and the listing digest check every link by lstat and its target", "[manifest][links]") {
  TempDir tmp;
  const stdfs::path d = make_app(tmp);
  const FileManifest m = FileManifest::from_directory(d, "1.0.0");
  const std::string signed_listing = m.listing_digest();
  auto verify_error = [&](FileManifest::Depth depth) {
    return error_of([&] { m.verify_directory(d, depth); }, ErrorCode::kVerification);
  };
  SECTION("a link to another target") {
    stdfs::remove(d / "lib/libx.so.1");
    write_text(d / "lib/libx.so.2", "ELF");
    stdfs::create_symlink("libx.so.2", d / "lib/libx.so.1");
    CHECK(verify_error(FileManifest::Depth::kQuick) ==
          "lib/libx.so.2: unexpected file (not in the manifest) (in " + d.string() + ")");
    stdfs::remove(d / "lib/libx.so.2");
    CHECK(verify_error(FileManifest::Depth::kQuick)
              .rfind("lib/libx.so.1: is a symlink to 'libx.so.2', expected one to 'libx.so.1.0'", 0) == 0);
  }
  SECTION("a regular file where the link should be, even with the same content") {
    stdfs::remove(d / "lib/libx.so.1");
    stdfs::copy_file(d / "lib/libx.so.1.0", d / "lib/libx.so.1");
    CHECK(verify_error(FileManifest::Depth::kFull)
              .rfind("lib/libx.so.1: is a regular file, expected a symlink to 'libx.so.1.0'", 0) == 0);
  }
  SECTION("a link where a file should be, even to the same content") {
    stdfs::rename(d / "lib/libx.so.1.0", d / "lib/real");
    stdfs::create_symlink("real", d / "lib/libx.so.1.0");
    CHECK(verify_error(FileManifest::Depth::kQuick).rfind("lib/real: unexpected file", 0) == 0);
    stdfs::remove(d / "lib/real");
    stdfs::create_symlink(tmp / "elsewhere", d / "lib/real");
    CHECK(verify_error(FileManifest::Depth::kQuick).rfind("lib/real: unexpected symlink", 0) == 0);
  }
  SECTION("the link missing") {
    stdfs::remove(d / "lib/libx.so.1");
    CHECK(verify_error(FileManifest::Depth::kQuick).rfind("lib/libx.so.1: missing", 0) == 0);
  }
  CHECK(FileManifest::listing_digest_of(d) != signed_listing);
}

TEST_CASE("the listing digest of a folder changes with a link's target alone", "[manifest][links]") {
  TempDir tmp;
  const stdfs::path d = make_app(tmp);
  write_text(d / "lib/libx.so.1.1", "ELF");
  const FileManifest m = FileManifest::from_directory(d, "1.0.0");
  CHECK(FileManifest::listing_digest_of(d) == m.listing_digest());
  stdfs::remove(d / "lib/libx.so.1");
  stdfs::create_symlink("libx.so.1.1", d / "lib/libx.so.1");
  CHECK(FileManifest::listing_digest_of(d) != m.listing_digest());
  CHECK(FileManifest::from_directory(d, "1.0.0").listing_digest() == FileManifest::listing_digest_of(d));
  CHECK(read_text(d / "lib/libx.so.1") == "ELF");
}

TEST_CASE("is_safe_link_target allows '.' and '..' but nothing absolute, empty or with control bytes",
          "[manifest][links]") {
  for (const char* ok : {"a", "../lib/x", "./a", "a/../b", ".."}) {
    INFO(ok);
    CHECK(upkeep::is_safe_link_target(ok));
  }
  for (const char* bad : {"", "/a", "a//b", "a/", "a\\b", "a\tb"}) {
    INFO(bad);
    CHECK_FALSE(upkeep::is_safe_link_target(bad));
  }
  CHECK_FALSE(upkeep::is_safe_link_target(std::string(5000, 'a')));
}
