// upkeep-tuf-client as a real process against `upkeep serve`, with a
// repository made by `upkeep keys init` and `upkeep release`: the
// conformance command-line interface (init, refresh, download) end to end.
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "release_fixture.h"
#include "upkeep/base/hash.h"
#include "upkeep/base/json.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/tuf/metadata.h"
#include "upkeep/tuf/role_names.h"

using namespace upkeep;
using namespace upkeep::test;

namespace {

std::string tool() { return program("upkeep-tuf-client").string(); }

std::set<std::string> names_in(const stdfs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : stdfs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

// The target paths listed by a verified targets.json in the client's folder.
std::vector<std::string> target_paths(const stdfs::path& targets_json) {
  Json doc = Json::parse(read_text(targets_json), "targets.json");
  std::vector<std::string> out;
  for (const auto& [path, _] : doc.at("signed").get_object("targets")) out.push_back(path);
  return out;
}

struct CliFixture {
  VendorRepo vendor;
  TempDir client;
  stdfs::path metadata() const { return client / "metadata"; }
  stdfs::path targets() const { return client / "targets"; }

  CliFixture() {
    stdfs::path build = vendor.dir() / "build";
    write_text(build / "bin" / "app", "#!/bin/sh\necho 1.0.0\n");
    stdfs::permissions(build / "bin" / "app", static_cast<stdfs::perms>(0755));
    write_text(build / "README", "the demo application\n");
    vendor.release(build, "1.0.0", "", {"--program", "bin/app"});
  }

  RunResult refresh(const std::string& url) {
    // Options in another order than the usage text, and URLs without a trailing slash.
    return run({tool(), "--metadata-url", url + "metadata", "--metadata-dir", metadata().string(), "refresh"});
  }
  RunResult download(const std::string& url, const std::vector<std::string>& names) {
    std::vector<std::string> argv{tool(), "--metadata-dir", metadata().string(), "--metadata-url", url + "metadata"};
    for (const auto& n : names) argv.insert(argv.end(), {"--target-name", n});
    argv.insert(argv.end(), {"--target-base-url", url + "targets", "--target-dir", targets().string(), "download"});
    return run(argv);
  }
};

int64_t version_of(const stdfs::path& metadata_file) {
  return Json::parse(read_text(metadata_file), metadata_file.string()).at("signed").get_int("version");
}

// An attacker holding the online keys (targets, snapshot, timestamp) pushes
// every version of `repo` to `version`: a fast-forward attack.
void fast_forward(const stdfs::path& keys_dir, const stdfs::path& repo, int64_t version) {
  const auto keys = publish::KeyStore::open(keys_dir);
  const stdfs::path md = repo / "metadata";
  auto load = [&](const stdfs::path& file) { return tuf::Envelope::parse(read_text(file), file.string()); };
  auto sign_and_write = [&](Json signed_json, const char* role, const std::string& name) {
    signed_json["version"] = version;
    tuf::Envelope e;
    e.signed_json = signed_json;
    e.sign(*keys.load_key(role));
    write_text(md / name, e.to_text());
    return e.to_text();
  };
  tuf::Envelope ts = load(md / "timestamp.json");
  const int64_t snapshot_version = ts.signed_json.at("meta").at("snapshot.json").get_int("version");
  tuf::Envelope snap = load(md / (std::to_string(snapshot_version) + ".snapshot.json"));
  const int64_t targets_version = snap.signed_json.at("meta").at("targets.json").get_int("version");
  tuf::Envelope targets = load(md / (std::to_string(targets_version) + ".targets.json"));
  const std::string v = std::to_string(version);
  auto listing = [&](const std::string& text) {
    Json m = Json::object();
    m["version"] = version;
    m["length"] = static_cast<int64_t>(text.size());
    m["hashes"]["sha256"] = sha256_hex(text);
    return m;
  };
  const std::string targets_text = sign_and_write(targets.signed_json, tuf::kTargetsRole, v + ".targets.json");
  snap.signed_json["meta"]["targets.json"] = listing(targets_text);
  const std::string snapshot_text = sign_and_write(snap.signed_json, tuf::kSnapshotRole, v + ".snapshot.json");
  ts.signed_json["meta"]["snapshot.json"] = listing(snapshot_text);
  sign_and_write(ts.signed_json, tuf::kTimestampRole, "timestamp.json");
}

}  // namespace

TEST_CASE("upkeep-tuf-client: init, refresh, download, cached download, tampered target", "[tuf_client_cli]") {
  CliFixture f;
  REQUIRE(stdfs::exists(program("upkeep-tuf-client")));  // built by the upkeep_tuf_client target

  // init copies the trusted root, without any network.
  auto init = run({tool(), "--metadata-dir", f.metadata().string(), "init", f.vendor.root_json().string()});
  INFO("init stderr: " << init.err);
  REQUIRE(init.exit_code == 0);
  CHECK(read_text(f.metadata() / "root.json") == read_text(f.vendor.root_json()));
  CHECK(run({tool(), "--metadata-dir", (f.client / "other").string(), "init", (f.client / "missing.json").string()})
            .exit_code == 1);

  RepoServerProcess server(f.vendor.repo());
  auto refresh = f.refresh(server.url);
  INFO("refresh stderr: " << refresh.err);
  REQUIRE(refresh.exit_code == 0);
  // Plain names only (root.json, not 1.root.json), each the verified published file.
  CHECK(names_in(f.metadata()) ==
        std::set<std::string>{"root.json", "timestamp.json", "snapshot.json", "targets.json"});
  CHECK(read_text(f.metadata() / "timestamp.json") == read_text(f.vendor.repo() / "metadata" / "timestamp.json"));
  CHECK(read_text(f.metadata() / "targets.json") == read_text(f.vendor.repo() / "metadata" / "2.targets.json"));

  const auto paths = target_paths(f.metadata() / "targets.json");
  REQUIRE(paths.size() == 2);  // package.zip and files.json
  auto first = f.download(server.url, paths);
  INFO("download stderr: " << first.err);
  REQUIRE(first.exit_code == 0);
  // Each target under its safe file name, with the published bytes, and nothing else in the folder.
  std::set<std::string> expected_files;
  for (const auto& p : paths) expected_files.insert(tuf::safe_file_name(p));
  CHECK(names_in(f.targets()) == expected_files);
  const stdfs::path package = f.targets() / tuf::safe_file_name(paths[1]);
  CHECK(paths[1].find("package.zip") != std::string::npos);
  CHECK(hash_file_hex(package) == hash_file_hex(f.vendor.package_file("1.0.0")));
  const auto written = stdfs::last_write_time(package);

  SECTION("a second download needs no target transfer: a server without the targets folder suffices") {
    server.process.stop();
    TempDir mirror;
    stdfs::copy(f.vendor.repo() / "metadata", mirror / "metadata", stdfs::copy_options::recursive);
    RepoServerProcess metadata_only(mirror.path());
    auto again = f.download(metadata_only.url, paths);
    INFO("second download stderr: " << again.err);
    CHECK(again.exit_code == 0);
    CHECK(names_in(f.targets()) == expected_files);
    CHECK(stdfs::last_write_time(package) == written);
    CHECK(again.err.find("up to date") != std::string::npos);

    // With no server at all the refresh that precedes any download fails: exit 1, files kept.
    metadata_only.process.stop();
    auto offline = f.download(metadata_only.url, paths);
    CHECK(offline.exit_code == 1);
    CHECK(names_in(f.targets()) == expected_files);
  }
  SECTION("a tampered target is refused and leaves nothing behind") {
    stdfs::remove(package);
    std::string bytes = read_text(f.vendor.package_file("1.0.0"));
    bytes[bytes.size() / 2] ^= 0x55;
    write_text(f.vendor.package_file("1.0.0"), bytes);
    auto tampered = f.download(server.url, {paths[1]});
    CHECK(tampered.exit_code == 1);
    INFO("tampered stderr: " << tampered.err);
    CHECK(tampered.err.find("SHA-256 mismatch") != std::string::npos);
    expected_files.erase(tuf::safe_file_name(paths[1]));
    CHECK(names_in(f.targets()) == expected_files);  // no partial or temporary file either
  }
  SECTION("an unknown target fails, after the targets before it were handled") {
    auto missing = f.download(server.url, {paths[0], "demo/9.9.9/none.zip", paths[1]});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("target 'demo/9.9.9/none.zip': no trusted targets metadata lists it") != std::string::npos);
  }
}

TEST_CASE("upkeep-tuf-client: usage errors exit 2 with one line naming what was wrong", "[tuf_client_cli]") {
  TempDir dir;
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {tool()},
           {tool(), "--metadata-dir", dir.path().string(), "refresh"},  // no --metadata-url
           {tool(), "--metadata-dir", dir.path().string(), "--metadata-url", "http://127.0.0.1:1/", "download"},
           {tool(), "--metadata-dir", dir.path().string(), "frobnicate"},
           {tool(), "--bogus", "x", "refresh"}}) {
    auto r = run(argv);
    INFO("argv size " << argv.size() << " stderr: " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.rfind("upkeep-tuf-client: ", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.out.empty());
  }
  // A refresh with no trusted root says so.
  auto r = run({tool(), "--metadata-dir", dir.path().string(), "--metadata-url", "http://127.0.0.1:1/", "refresh"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("no trusted root metadata") != std::string::npos);
}

TEST_CASE("upkeep-tuf-client: after a fast-forward attack, rotating the snapshot key lets the vendor's versions in",
          "[tuf_client_cli]") {
  CliFixture f;
  REQUIRE(run({tool(), "--metadata-dir", f.metadata().string(), "init", f.vendor.root_json().string()}).exit_code == 0);
  RepoServerProcess server(f.vendor.repo());
  REQUIRE(f.refresh(server.url).exit_code == 0);
  const stdfs::path md = f.vendor.repo() / "metadata";
  TempDir backup;
  stdfs::copy(md, backup / "metadata", stdfs::copy_options::recursive);

  fast_forward(f.vendor.keys(), f.vendor.repo(), 1000);
  auto attacked = f.refresh(server.url);
  INFO("refresh of the attacked repository: " << attacked.err);
  REQUIRE(attacked.exit_code == 0);
  for (const char* role : {"timestamp.json", "snapshot.json", "targets.json"})
    REQUIRE(version_of(f.metadata() / role) == 1000);

  // The vendor takes the repository back: its own files, its own (lower) versions.
  stdfs::remove_all(md);
  stdfs::copy(backup / "metadata", md, stdfs::copy_options::recursive);
  const std::string keys = f.vendor.keys().string(), repo = f.vendor.repo().string();
  const std::string upkeep = program("upkeep").string();

  SECTION("without a key rotation the client refuses them as a rollback") {
    run_ok({upkeep, "refresh-timestamp", "--keys", keys, "--repo", repo});
    const auto before = read_text(f.metadata() / "timestamp.json");
    auto r = f.refresh(server.url);
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("timestamp.json: version 3 is older than trusted version 1000") != std::string::npos);
    CHECK(read_text(f.metadata() / "timestamp.json") == before);
  }
  SECTION("after the snapshot key is replaced (keys add, keys revoke) the client accepts them") {
    Json root = Json::parse(read_text(md / "1.root.json"), "1.root.json");
    const std::string old_snapshot = root.at("signed").at("roles").at("snapshot").get_array("keyids")[0].as_string();
    run_ok({upkeep, "keys", "add", "snapshot", "--keys", keys, "--repo", repo});
    run_ok({upkeep, "keys", "revoke", "snapshot", old_snapshot, "--keys", keys, "--repo", repo});
    auto r = f.refresh(server.url);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(read_text(f.metadata() / "root.json") == read_text(md / "3.root.json"));
    CHECK(read_text(f.metadata() / "timestamp.json") == read_text(md / "timestamp.json"));
    CHECK(version_of(f.metadata() / "timestamp.json") == 4);
    CHECK(version_of(f.metadata() / "snapshot.json") == 4);
    CHECK(version_of(f.metadata() / "targets.json") == 2);  // the vendor's, below the attacker's 1000
    const auto paths = target_paths(f.metadata() / "targets.json");
    auto download = f.download(server.url, paths);
    INFO(download.err);
    CHECK(download.exit_code == 0);
  }
}
