// Release hooks in the signed manifest: declaration, format, and the
// validation both sides (release and parse) share.
#include "upkeep/install/hook_spec.h"

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/base/hash.h"
#include "upkeep/install/manifest.h"

using upkeep::ErrorCode;
using upkeep::FileManifest;
using upkeep::HookKind;
using upkeep::HookSpec;
using upkeep::test::error_of;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;

namespace {

const std::string kSha = upkeep::sha256_hex("hello");

// A format-2 manifest listing "a" (0644) and "bin/setup" (0755) with `hooks` as its "hooks" text.
std::string doc_with_hooks(const std::string& hooks, int format = 2) {
  return R"({"files":[{"mode":420,"path":"a","sha256":")" + kSha + R"(","size":5},)" +
         R"({"mode":493,"path":"bin/setup","sha256":")" + kSha + R"(","size":5}],"format":)" + std::to_string(format) +
         R"(,"hooks":)" + hooks + R"(,"version":"1.0.0"})";
}

std::string parse_error(const std::string& text) {
  return error_of([&] { FileManifest::parse(text, "files.json"); }, ErrorCode::kBadInput);
}

void make_release(const stdfs::path& dir) {
  write_text(dir / "bin/setup", "#!/bin/sh\nexit 0\n");
  stdfs::permissions(dir / "bin/setup", static_cast<stdfs::perms>(0755));
  write_text(dir / "share/notes.txt", "text");
  stdfs::permissions(dir / "share/notes.txt", static_cast<stdfs::perms>(0644));
}

}  // namespace

TEST_CASE("hook kinds have fixed names and numbers", "[hooks][manifest]") {
  CHECK(static_cast<int>(HookKind::kInstall) == 1);
  CHECK(static_cast<int>(HookKind::kUpdate) == 2);
  CHECK(static_cast<int>(HookKind::kUninstall) == 3);
  for (HookKind k : {HookKind::kInstall, HookKind::kUpdate, HookKind::kUninstall})
    CHECK(upkeep::parse_hook_kind(upkeep::hook_kind_name(k)) == k);
  CHECK_FALSE(upkeep::parse_hook_kind("postinstall"));
  CHECK_FALSE(upkeep::parse_hook_kind("Update"));
}

TEST_CASE("a release with hooks is signed as format 2 and read back, one without stays format 1", "[hooks][manifest]") {
  TempDir tmp;
  make_release(tmp.path());
  FileManifest m = FileManifest::from_directory(
      tmp.path(), "1.0.0", {{HookKind::kUpdate, "bin/setup", 60}, {HookKind::kInstall, "bin/setup", 5}});
  std::string json = m.to_json();
  CHECK(json.find(R"("format":2,"hooks":{"install":{"path":"bin/setup","timeout_seconds":5},)"
                  R"("update":{"path":"bin/setup","timeout_seconds":60}},"version":"1.0.0"})") != std::string::npos);

  FileManifest back = FileManifest::parse(json);
  CHECK(back.to_json() == json);
  REQUIRE(back.hooks().size() == 2);
  CHECK(back.hooks()[0].kind == HookKind::kInstall);  // sorted by kind
  REQUIRE(back.hook(HookKind::kUpdate) != nullptr);
  CHECK(back.hook(HookKind::kUpdate)->path == "bin/setup");
  CHECK(back.hook(HookKind::kUpdate)->timeout_seconds == 60);
  CHECK(back.hook(HookKind::kInstall)->timeout_seconds == 5);
  CHECK(back.hook(HookKind::kUninstall) == nullptr);

  std::string plain = FileManifest::from_directory(tmp.path(), "1.0.0").to_json();
  CHECK(plain.find(R"("format":1,"version":"1.0.0"})") != std::string::npos);
  CHECK(plain.find("hooks") == std::string::npos);
  CHECK(FileManifest::parse(plain).hooks().empty());
  // Format 2 without hooks is also read (the field is optional there).
  std::string no_hooks = plain;
  no_hooks.replace(no_hooks.find(R"("format":1)"), 10, R"("format":2)");
  CHECK(FileManifest::parse(no_hooks).hooks().empty());
}

TEST_CASE("parse refuses every malformed hook, naming the field and what was expected", "[hooks][manifest]") {
  const std::string ok = R"({"update":{"path":"bin/setup","timeout_seconds":60}})";
  CHECK(FileManifest::parse(doc_with_hooks(ok)).hook(HookKind::kUpdate) != nullptr);

  std::vector<std::pair<std::string, std::string>> cases = {
      {doc_with_hooks(ok, 1), "files.json: field 'hooks' needs format 2 or 3, found format 1"},
      {doc_with_hooks("[]"), "files.json: field 'hooks' must be an object, found an array"},
      {doc_with_hooks(R"({"postinstall":{"path":"bin/setup","timeout_seconds":6}})"),
       "files.json: hooks: unknown kind 'postinstall' (expected install, update or uninstall)"},
      {doc_with_hooks(R"({"update":"bin/setup"})"), "files.json: hooks.update must be an object, found a string"},
      {doc_with_hooks(R"({"update":{"timeout_seconds":6}})"), "files.json: hooks.update.path is missing"},
      {doc_with_hooks(R"({"update":{"path":7,"timeout_seconds":6}})"),
       "files.json: hooks.update.path must be a string, found an integer"},
      {doc_with_hooks(R"({"update":{"args":[],"path":"bin/setup","timeout_seconds":6}})"),
       "files.json: hooks.update: unknown field 'args' (expected only path, timeout_seconds)"},
      {doc_with_hooks(R"({"update":{"path":"bin/setup"}})"), "files.json: hooks.update.timeout_seconds is missing"},
      {doc_with_hooks(R"({"update":{"path":"bin/setup","timeout_seconds":"60"}})"),
       "files.json: hooks.update.timeout_seconds must be an integer, found a string (expected an integer from 1 to "
       "3600 (seconds))"},
      {doc_with_hooks(R"({"update":{"path":"bin/setup","timeout_seconds":0}})"),
       "files.json: hooks.update.timeout_seconds is 0, expected an integer from 1 to 3600 (seconds)"},
      {doc_with_hooks(R"({"install":{"path":"bin/setup","timeout_seconds":3601}})"),
       "files.json: hooks.install.timeout_seconds is 3601, expected an integer from 1 to 3600 (seconds)"},
      {doc_with_hooks(R"({"update":{"path":"bin/setup","timeout_seconds":-5}})"),
       "files.json: hooks.update.timeout_seconds is -5, expected an integer from 1 to 3600 (seconds)"},
      {doc_with_hooks(R"({"uninstall":{"path":"bin/nope","timeout_seconds":6}})"),
       "files.json: hooks.uninstall.path 'bin/nope' is not a file listed in the manifest (a hook must be one of the "
       "release's files)"},
      {doc_with_hooks(R"({"update":{"path":"bin","timeout_seconds":6}})"),
       "files.json: hooks.update.path 'bin' is not a file listed in the manifest"},
      {doc_with_hooks(R"({"update":{"path":"a","timeout_seconds":6}})"),
       "files.json: hooks.update.path 'a' has mode 0644, expected an executable file (a mode with an x bit, e.g. "
       "0755)"},
      {doc_with_hooks(R"({"update":{"path":"bin/../a","timeout_seconds":6}})"),
       "files.json: hooks.update.path 'bin/../a' has a '..' component"},
      {doc_with_hooks(R"({"update":{"path":"/bin/sh","timeout_seconds":6}})"),
       "files.json: hooks.update.path '/bin/sh' is absolute"},
  };
  for (const auto& [text, expected] : cases) {
    INFO(text);
    std::string message = parse_error(text);
    CHECK(message.rfind(expected, 0) == 0);
  }
}

TEST_CASE("from_directory refuses a hook that is not an executable file of the release folder", "[hooks][manifest]") {
  TempDir tmp;
  make_release(tmp.path());
  const std::string dir = tmp.path().string();
  auto refused = [&](std::vector<HookSpec> hooks) {
    return error_of([&] { FileManifest::from_directory(tmp.path(), "1.0.0", hooks); }, ErrorCode::kBadInput);
  };
  CHECK(refused({{HookKind::kUpdate, "bin/nope", 60}}) ==
        dir +
            ": hooks.update.path 'bin/nope' is not a file of this release folder (a hook must be one of the "
            "release's files)");
  CHECK(refused({{HookKind::kInstall, "share/notes.txt", 60}}) ==
        dir +
            ": hooks.install.path 'share/notes.txt' has mode 0644, expected an executable file (a mode with an x "
            "bit, e.g. 0755)");
  CHECK(refused({{HookKind::kUpdate, "bin/setup", 60}, {HookKind::kUpdate, "bin/setup", 5}}) ==
        dir + ": the update hook is declared twice (one per kind)");
  CHECK(refused({{HookKind::kUninstall, "bin/setup", 0}}) ==
        dir + ": hooks.uninstall.timeout_seconds is 0, expected an integer from 1 to 3600 (seconds)");
}
