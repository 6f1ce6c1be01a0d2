#include "upkeep/watch/repository_release.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "unit/tuf/tuf_test_repo.h"
#include "upkeep/platform/fs.h"

using namespace upkeep;
using namespace upkeep::test;
using upkeep::watch::RepositoryRelease;
using upkeep::watch::WatchRound;

namespace {

// A build folder with one executable at the top (the release's program).
stdfs::path make_build(const stdfs::path& dir) {
  write_text(dir / "app", "#!/bin/sh\necho app\n");
  chmod((dir / "app").c_str(), 0755);
  write_text(dir / "lib" / "data.txt", "data 1\n");
  write_text(dir / "share" / "readme.txt", "readme\n");
  return dir;
}

watch::ReleaseSettings settings(const std::string& first = "0.0.1") {
  watch::ReleaseSettings s;
  s.info.platform = "linux-x86_64";
  s.info.delta_from = -1;
  s.first_version = first;
  return s;
}

WatchRound round_of(const stdfs::path& build) {
  WatchRound r;
  r.build_dir = build;
  return r;
}

}  // namespace

TEST_CASE("next_patch_version: the last of at least three numbers plus one", "[watch][repository_release]") {
  CHECK(watch::next_patch_version(Version::parse_or_throw("1.4.2")) == "1.4.3");
  CHECK(watch::next_patch_version(Version::parse_or_throw("1.4.9")) == "1.4.10");
  CHECK(watch::next_patch_version(Version::parse_or_throw("10.0.19041.1")) == "10.0.19041.2");
  CHECK(watch::next_patch_version(Version::parse_or_throw("2.0.0-rc.1")) == "2.0.1");
  CHECK(watch::next_patch_version(Version::parse_or_throw("7")) == "7.0.1");
}

TEST_CASE("RepositoryRelease: first release, no release for an unchanged build, the next patch for a changed one",
          "[watch][repository_release]") {
  RepoFixture f;
  const stdfs::path build = make_build(f.tmp / "build");
  RepositoryRelease handler(f.repo(), f.keys, {}, settings("1.4.0"), {}, f.clock);

  WatchRound first = round_of(build);
  REQUIRE(handler.run(first));
  CHECK(first.released);
  CHECK(first.version == "1.4.0");
  CHECK(first.file_count == 3);
  CHECK(first.changed == 3);
  REQUIRE(first.steps.size() == 1);
  CHECK(first.steps[0].text == "released 1.4.0: 3 files, 3 changed");

  WatchRound same = round_of(build);
  CHECK_FALSE(handler.run(same));
  CHECK_FALSE(same.released);
  CHECK(same.version == "1.4.0");
  CHECK(same.steps[0].text == "no change since 1.4.0 (3 files)");
  CHECK(f.publisher.current_timestamp().version == first.timestamp_version);

  write_text(build / "lib" / "data.txt", "data 2\n");
  write_text(build / "lib" / "new.txt", "new\n");
  stdfs::remove(build / "share" / "readme.txt");
  WatchRound next = round_of(build);
  REQUIRE(handler.run(next));
  CHECK(next.version == "1.4.1");
  CHECK(next.changed == 3);
  CHECK(next.timestamp_version > first.timestamp_version);

  auto client = f.client();
  client->refresh();
  CHECK(client->targets().size() == 4);  // two releases, package.zip and files.json each
}

TEST_CASE("RepositoryRelease: the version from a file of the build, a bad build fails and changes nothing",
          "[watch][repository_release]") {
  RepoFixture f;
  const stdfs::path build = make_build(f.tmp / "build");
  write_text(build / "VERSION", "3.2.1\n");
  RepositoryRelease handler(f.repo(), f.keys, {}, settings(), watch::version_from_file("VERSION"), f.clock);
  WatchRound r = round_of(build);
  REQUIRE(handler.run(r));
  CHECK(r.version == "3.2.1");

  const int64_t ts = f.publisher.current_timestamp().version;
  write_text(build / "VERSION", "not a version\n");
  WatchRound bad = round_of(build);
  auto [code, message] = error_of([&] { handler.run(bad); });
  CHECK(code == ErrorCode::kBadInput);
  CHECK(message.find("VERSION") != std::string::npos);

  write_text(build / "VERSION", "3.2.2\n");
  stdfs::create_symlink("/etc/passwd", build / "escape");  // absolute links are refused
  auto [code2, message2] = error_of([&] { handler.run(bad); });
  CHECK(code2 == ErrorCode::kBadInput);
  CHECK(f.publisher.current_timestamp().version == ts);
  stdfs::remove(build / "escape");
  WatchRound fixed = round_of(build);
  REQUIRE(handler.run(fixed));
  CHECK(fixed.version == "3.2.2");
}
