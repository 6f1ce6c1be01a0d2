#include "upkeep/publish/repository_publisher.h"

#include <catch2/catch.hpp>
#include <random>

#include "unit/tuf/tuf_test_repo.h"
#include "upkeep/base/hash.h"
#include "upkeep/install/manifest.h"
#include "upkeep/platform/fs.h"

using namespace upkeep;
using namespace upkeep::test;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("keys init creates a valid signed repository", "[vendor]") {
  RepoFixture f;
  for (const char* name : {"1.root.json", "root.json", "1.targets.json", "1.snapshot.json", "timestamp.json"})
    CHECK(stdfs::exists(f.meta(name)));
  CHECK(read_text(f.meta("root.json")) == read_text(f.meta("1.root.json")));
  auto root = f.publisher.current_root();
  CHECK(root.consistent_snapshot);
  CHECK(root.expires == f.now() + 365 * 24 * 3600);
  CHECK(root.role(tuf::kTargetsRole).keyids == std::vector<std::string>{f.key(tuf::kTargetsRole)->key_id()});
  CHECK(f.publisher.current_timestamp().expires == f.now() + 24 * 3600);
  CHECK(f.publisher.current_snapshot().expires == f.now() + 7 * 24 * 3600);
  CHECK(f.publisher.current_targets().expires == f.now() + 90 * 24 * 3600);
  CHECK(f.publisher.current_targets().targets.empty());
  // Every file on disk is in the TUF envelope form.
  Json ts = Json::parse(read_text(f.meta("timestamp.json")));
  CHECK(ts.at("signed").get_string("_type") == "timestamp");
  CHECK(ts.at("signed").get_string("spec_version") == "1.0.31");
  CHECK(ts.get_array("signatures").size() == 1);

  auto [code, message] = error_of([&] { f.publisher.initialize(); });
  CHECK(code == ErrorCode::kExists);
}

TEST_CASE("release publishes two targets that a client verifies", "[vendor]") {
  RepoFixture f;
  auto r = f.release("1.2.0", "beta");
  CHECK(r.package_target == "demo/1.2.0/linux-x86_64/package.zip");
  CHECK(r.manifest_target == "demo/1.2.0/linux-x86_64/files.json");
  CHECK(r.package_file == f.repo() / "targets/demo/1.2.0/linux-x86_64" / (r.package_sha256 + ".package.zip"));
  CHECK(hash_file_hex(r.package_file) == r.package_sha256);
  CHECK(r.file_count == 2);
  // No temporary files remain beside the published ones.
  size_t entries = 0;
  for (const auto& e : stdfs::directory_iterator(r.package_file.parent_path())) entries += e.is_regular_file();
  CHECK(entries == 3);  // package.zip, files.json, delta.zst

  auto client = f.client();
  client->refresh();
  REQUIRE(client->targets().size() == 3);
  auto pkg = client->find_target(r.package_target);
  REQUIRE(pkg);
  const Json& c = pkg->custom;
  CHECK(c.get_string("app_id") == "demo");
  CHECK(c.get_string("version") == "1.2.0");
  CHECK(c.get_string("channel") == "beta");
  CHECK(c.get_string("platform") == "linux-x86_64");
  CHECK(c.get_string("notes") == "notes for 1.2.0");
  CHECK(c.get_bool("critical") == false);
  CHECK(c.get_int("rollout") == 100);
  CHECK(c.get_string("manifest") == r.manifest_target);
  CHECK(c.get_string("released") == tuf::format_time(f.now()));
  CHECK(c.get_string("delta") == "demo/1.2.0/linux-x86_64/delta.zst");
  CHECK(client->find_target("demo/1.2.0/linux-x86_64/delta.zst"));
  CHECK(pkg->length == stdfs::file_size(r.package_file));

  auto files = client->find_target(r.manifest_target);
  REQUIRE(files);
  std::string manifest_text = f.fetcher.get(client->target_url(*files), files->length);
  CHECK(sha256_hex(manifest_text) == files->sha256());
  FileManifest manifest = FileManifest::parse(manifest_text);
  CHECK(manifest.version() == "1.2.0");
  REQUIRE(manifest.find("bin/app"));
  CHECK(manifest.find("bin/app")->sha256 == sha256_hex("#!/bin/sh\necho 1.2.0\n"));

  // A second release keeps the first.
  f.release("1.3.0");
  client->refresh();
  CHECK(client->targets().size() == 6);
  CHECK(client->targets_version() == 3);
}

TEST_CASE("releasing an existing version fails and leaves the repository byte-identical", "[vendor]") {
  RepoFixture f;
  f.release("1.2.0");
  auto before = snapshot_tree(f.repo());
  for (const char* again : {"1.2.0", "1.2"}) {  // "1.2" has the same precedence
    auto [code, message] = error_of([&] { f.release(again); });
    CHECK(code == ErrorCode::kExists);
    CHECK(contains(message, "of demo for linux-x86_64 is already released"));
    CHECK(snapshot_tree(f.repo()) == before);
  }
}

TEST_CASE("release validates its inputs before writing anything", "[vendor]") {
  RepoFixture f;
  auto before = snapshot_tree(f.repo());
  stdfs::path build = f.tmp / "build";
  write_text(build / "app", "x");
  publish::ReleaseInfo info;
  info.app_id = "demo";
  info.version = "not a version";
  auto [code, message] = error_of([&] { f.publisher.publish_release(build, info); });
  CHECK(code == ErrorCode::kUsage);
  CHECK(contains(message, "version 'not a version' is not a version"));
  info.version = "1.0.0";
  info.channel = "../x";
  CHECK(error_of([&] { f.publisher.publish_release(build, info); }).first == ErrorCode::kUsage);
  info.channel = "stable";
  CHECK(error_of([&] { f.publisher.publish_release(f.tmp / "missing", info); }).first == ErrorCode::kNotFound);
  stdfs::create_symlink("/etc/passwd", build / "link");
  CHECK(error_of([&] { f.publisher.publish_release(build, info); }).first == ErrorCode::kBadInput);
  CHECK(snapshot_tree(f.repo()) == before);
}

TEST_CASE("upkeep keys init and upkeep release through the real program", "[vendor]") {
  TempDir tmp;
  const std::string upkeep = program("upkeep").string();
  INFO("build the upkeep program first (target upkeep_cli)");
  REQUIRE(stdfs::exists(upkeep));
  const std::string keys = (tmp / "keys").string(), repo = (tmp / "repo").string();

  auto init = run({upkeep, "keys", "init", "--keys", keys, "--repo", repo, "--app-id", "demo"});
  INFO(init.err);
  REQUIRE(init.exit_code == 0);
  size_t key_files = 0;
  for (const char* sub : {"offline", "online"}) {
    CHECK(fs::file_mode(tmp / "keys" / sub) == 0700);
    for (const auto& e : stdfs::directory_iterator(tmp / "keys" / sub)) {
      CHECK(fs::file_mode(e.path()) == 0600);
      ++key_files;
    }
  }
  CHECK(key_files == 4);
  CHECK(fs::file_mode(tmp / "keys") == 0700);

  write_text(tmp / "build" / "bin" / "app", "binary");
  stdfs::permissions(tmp / "build" / "bin" / "app", static_cast<stdfs::perms>(0755));
  write_text(tmp / "notes.txt", "Fixes \"quotes\" and more.\n");
  auto rel = run({upkeep, "release", (tmp / "build").string(), "--version", "2.0.0", "--notes",
                  (tmp / "notes.txt").string(), "--keys", keys, "--repo", repo, "--platform", "linux-x86_64",
                  "--program", "bin/app", "--arg", "--from-launcher", "--health", "confirm"});
  INFO(rel.err);
  REQUIRE(rel.exit_code == 0);
  CHECK(contains(rel.out, "  program: bin/app\n    argument: --from-launcher\n    health: confirm\n"));
  CHECK(contains(rel.out, "demo/2.0.0/linux-x86_64/package.zip"));
  CHECK(contains(rel.out, "demo/2.0.0/linux-x86_64/delta.zst  1 contents: 1 blobs new"));
  CHECK_FALSE(contains(rel.err, "delta:"));  // progress only on a terminal

  auto before = snapshot_tree(tmp / "repo");
  auto dup = run({upkeep, "release", (tmp / "build").string(), "--version", "2.0.0", "--keys", keys, "--repo", repo,
                  "--platform", "linux-x86_64", "--program", "bin/app"});
  CHECK(dup.exit_code == static_cast<int>(ErrorCode::kExists));
  CHECK(contains(dup.err, "already released"));
  CHECK(snapshot_tree(tmp / "repo") == before);

  auto again = run({upkeep, "keys", "init", "--keys", keys, "--repo", repo, "--app-id", "demo"});
  CHECK(again.exit_code == static_cast<int>(ErrorCode::kExists));
  CHECK(snapshot_tree(tmp / "repo") == before);

  net::RepoServer server(tmp / "repo");
  server.start();
  net::HttpFetcher fetcher;
  stdfs::create_directories(tmp / "trust");
  stdfs::copy_file(tmp / "repo" / "metadata" / "1.root.json", tmp / "trust" / "root.json");
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  tuf::Client client(tmp / "trust", base + "metadata/", base + "targets/", fetcher);
  client.refresh();
  auto targets = client.targets();
  REQUIRE(targets.size() == 3);
  auto pkg = client.find_target("demo/2.0.0/linux-x86_64/package.zip");
  REQUIRE(pkg);
  CHECK(pkg->custom.get_string("channel") == "stable");
  CHECK(pkg->custom.get_string("notes") == "Fixes \"quotes\" and more.\n");
  CHECK(client.find_target("demo/2.0.0/linux-x86_64/files.json"));
  for (const auto& e : stdfs::directory_iterator(tmp / "repo/targets/demo/2.0.0/linux-x86_64"))
    if (e.path().string().find(".files.json") != std::string::npos)
      CHECK(FileManifest::parse(read_text(e.path())).launch() ==
            LaunchSpec{"bin/app", {"--from-launcher"}, HealthRule::parse("confirm")});
}

TEST_CASE("a release that fails while signing leaves nothing behind", "[vendor]") {
  RepoFixture f;
  f.release("1.0.0");
  auto before = snapshot_tree(f.repo());
  // The package and manifest are written before the metadata is signed.
  REQUIRE(f.keys.remove_key(tuf::kSnapshotRole, f.key(tuf::kSnapshotRole)->key_id()));
  auto [code, message] = error_of([&] { f.release("1.1.0"); });
  CHECK(code == ErrorCode::kNotFound);
  CHECK(contains(message, "snapshot metadata needs 1 signature(s) but 0 of its keys"));
  CHECK(contains(message, (f.tmp / "keys" / "online").string()));
  CHECK(snapshot_tree(f.repo()) == before);
  CHECK_FALSE(stdfs::exists(f.repo() / "targets" / "demo" / "1.1.0"));
}

TEST_CASE("upkeep release --delta-from and --no-delta", "[vendor][delta]") {
  TempDir tmp;
  const std::string upkeep = program("upkeep").string();
  REQUIRE(stdfs::exists(upkeep));
  const std::string keys = (tmp / "keys").string(), repo = (tmp / "repo").string();
  REQUIRE(run({upkeep, "keys", "init", "--keys", keys, "--repo", repo, "--app-id", "demo"}).exit_code == 0);
  const std::string build = (tmp / "build").string();
  // Incompressible, so a patch between versions is far smaller than the blob.
  std::mt19937 rng(7);
  std::string content(20000, '\0');
  for (char& c : content) c = static_cast<char>(rng() & 0xff);
  write_text(tmp / "build" / "app", content);
  stdfs::permissions(tmp / "build" / "app", static_cast<stdfs::perms>(0755));  // the program: the one executable
  auto release = [&](const std::string& version, std::vector<std::string> extra) {
    std::vector<std::string> argv{upkeep, "release", build, "--version", version, "--keys", keys, "--repo", repo};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv);
  };

  auto before = snapshot_tree(tmp / "repo");
  for (const char* bad : {"x", "-1", "101", ""}) {
    auto r = release("1.0.0", {"--delta-from", bad});
    CHECK(r.exit_code == static_cast<int>(ErrorCode::kUsage));
    CHECK(contains(r.err, "--delta-from expects an integer from 0 to 100"));
  }
  auto both = release("1.0.0", {"--delta-from", "2", "--no-delta"});
  CHECK(both.exit_code == static_cast<int>(ErrorCode::kUsage));
  CHECK(contains(both.err, "--no-delta and --delta-from N exclude each other"));
  CHECK(snapshot_tree(tmp / "repo") == before);

  auto none = release("1.0.0", {"--no-delta"});
  INFO(none.err);
  REQUIRE(none.exit_code == 0);
  CHECK_FALSE(contains(none.out, "delta.zst"));
  content[100] = 'y';
  write_text(tmp / "build" / "app", content);
  auto blobs = release("1.1.0", {"--delta-from", "0"});
  REQUIRE(blobs.exit_code == 0);
  CHECK(contains(blobs.out, "no patches (--delta-from 0)"));
  content[200] = 'z';
  write_text(tmp / "build" / "app", content);
  auto patched = release("1.2.0", {});
  REQUIRE(patched.exit_code == 0);
  INFO(patched.out);
  // From 1.1.0's blob and from 1.0.0's package.zip (published without deltas).
  CHECK(contains(patched.out, "2 patches kept of 4 computed"));

  auto help = run({upkeep, "release", "--help"});
  CHECK(contains(help.out, "--delta-from N"));
  CHECK(contains(help.out, "--no-delta"));
}

TEST_CASE("set_rollout re-signs the release's target with the new percentage and nothing else", "[vendor][rollout]") {
  RepoFixture f;
  auto r = f.release("1.2.0");
  const auto before = f.publisher.current_targets();
  const auto ts_before = f.publisher.current_timestamp();
  CHECK(before.targets.at(r.package_target).custom.get_int("rollout") == 100);

  CHECK(f.publisher.set_rollout("demo", "1.2.0", "linux-x86_64", 20) == 100);
  auto after = f.publisher.current_targets();
  CHECK(after.version == before.version + 1);
  CHECK(f.publisher.current_timestamp().version == ts_before.version + 1);
  CHECK(f.publisher.current_snapshot().meta.at("targets.json").version == after.version);
  const auto& pkg = after.targets.at(r.package_target);
  CHECK(pkg.custom.get_int("rollout") == 20);
  CHECK(pkg.sha256() == r.package_sha256);  // the release's files are untouched
  CHECK(after.targets.size() == before.targets.size());
  // "1.2" has the same precedence; the old value is returned.
  CHECK(f.publisher.set_rollout("demo", "1.2", "linux-x86_64", 60) == 20);

  // A client verifies the re-signed chain and sees the new value.
  auto client = f.client();
  client->refresh();
  CHECK(client->target_info(r.package_target)->custom.get_int("rollout") == 60);

  auto unchanged = snapshot_tree(f.repo());
  CHECK(error_of([&] { f.publisher.set_rollout("demo", "9.9.9", "linux-x86_64", 50); }).first == ErrorCode::kNotFound);
  CHECK(error_of([&] { f.publisher.set_rollout("demo", "1.2.0", "linux-x86_64", 101); }).first == ErrorCode::kUsage);
  CHECK(error_of([&] { f.publisher.set_rollout("demo", "1.2.0", "windows-x86_64", 50); }).first ==
        ErrorCode::kNotFound);
  CHECK(snapshot_tree(f.repo()) == unchanged);
}
