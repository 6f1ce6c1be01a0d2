// Interoperability: a repository made by the real `upkeep keys init` and
// `upkeep release`, served by `upkeep serve`, is read by tuf-js, an
// independent TUF client (tests/interop/tuf_js_client.mjs, installed by
// scripts/setup.sh under build/interop). tuf-js checks every signature over
// its own canonical JSON, the field names, spec_version, key format, versions,
// lengths and hashes, and fetches VERSION.ROLE.json and HASH.NAME files, so a
// refresh and a download succeeding prove the metadata conforms to the spec;
// tampered files must be refused.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <regex>
#include <string>

#include "release_fixture.h"
#include "test_support.h"
#include "unit/tuf/repository_simulator.h"
#include "upkeep/base/hash.h"
#include "upkeep/base/json.h"
#include "upkeep/net/http_fetcher.h"
#include "upkeep/tuf/tuf_client.h"

using namespace upkeep::test;

namespace {

// The node program found on PATH; empty when there is none.
stdfs::path find_node() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    stdfs::path candidate = stdfs::path(dirs.substr(start, end - start)) / "node";
    if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

// build/interop/node_modules holding tuf-js: next to the programs under test first, then in ./build of the
// source tree (where scripts/setup.sh puts it); empty when neither has it.
stdfs::path find_tuf_js_modules() {
  for (const stdfs::path& dir :
       {program("interop") / "node_modules", source_dir() / "build" / "interop" / "node_modules"})
    if (stdfs::is_directory(dir / "tuf-js")) return dir;
  return {};
}

// One run of tuf-js against a served repository: refresh into `metadata_dir`, then download `target` into `out_dir`.
struct TufJs {
  stdfs::path node = find_node();
  stdfs::path modules = find_tuf_js_modules();

  TufJs() {
    INFO("the interoperability test needs node on PATH and tuf-js installed: run scripts/setup.sh");
    REQUIRE_FALSE(node.empty());
    REQUIRE_FALSE(modules.empty());
  }

  RunResult run(const stdfs::path& metadata_dir, const std::string& repo_url, const std::string& target,
                const stdfs::path& out_dir) const {
    return upkeep::test::run(
        {node.string(), (source_dir() / "tests" / "interop" / "tuf_js_client.mjs").string(), metadata_dir.string(),
         repo_url + "metadata/", repo_url + "targets/", target, out_dir.string()},
        {{"NODE_PATH", modules.string()}});
  }
};

// A fresh client metadata folder holding only the trusted root, under the name tuf-js reads: root.json.
stdfs::path client_metadata(const TempDir& dir, const VendorRepo& repo, const std::string& name) {
  stdfs::path md = dir / name;
  stdfs::create_directories(md);
  stdfs::copy_file(repo.root_json(), md / "root.json");
  return md;
}

// The target path of a published package ("demo/1.0.0/linux-x86_64/package.zip"), from where it was published.
std::string package_target(const VendorRepo& repo, const std::string& version) {
  stdfs::path dir = repo.package_file(version).parent_path();
  return (stdfs::relative(dir, repo.repo() / "targets") / "package.zip").generic_string();
}

// tuf-js saves a target under its percent-encoded path.
stdfs::path downloaded_file(const stdfs::path& out_dir, std::string target) {
  std::string encoded;
  for (char c : target) encoded += c == '/' ? std::string("%2F") : std::string(1, c);
  return out_dir / encoded;
}

// The number on tuf-js's "trusted ROLE version N" line; -1 when missing.
int64_t trusted_version(const std::string& out, const std::string& role) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("trusted " + role + " version ([0-9]+)"))) return -1;
  return std::stoll(m[1].str());
}

// The target's custom object as tuf-js parsed it (its "custom {...}" line).
upkeep::Json custom_of(const std::string& out) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("\ncustom (\\{[^\n]*\\})\n"))) return upkeep::Json();
  return upkeep::Json::parse(m[1].str(), "tuf-js custom line");
}

std::string describe(const RunResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

}  // namespace

TEST_CASE("tuf-js refreshes an upkeep repository, downloads releases and follows a new one", "[interop][integration]") {
  TufJs tuf_js;
  VendorRepo repo;
  repo.release(repo.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess server(repo.repo());
  TempDir client;
  const stdfs::path md = client_metadata(client, repo, "metadata");

  const std::string target1 = package_target(repo, "1.0.0");
  RunResult first = tuf_js.run(md, server.url, target1, client / "out");
  INFO(describe(first));
  REQUIRE(first.exit_code == 0);
  CHECK(trusted_version(first.out, "root") == 1);
  CHECK(contains(first.out, "root key ids match their keys (4 keys)"));
  const int64_t targets_v1 = trusted_version(first.out, "targets");
  CHECK(targets_v1 >= 1);
  CHECK(contains(first.out, "downloaded " + target1));
  CHECK(read_text(downloaded_file(client / "out", target1)) == read_text(repo.package_file("1.0.0")));
  CHECK(custom_of(first.out).get_string("version") == "1.0.0");
  // tuf-js keeps the verified metadata under the plain names.
  for (const char* role : {"timestamp.json", "snapshot.json", "targets.json"}) CHECK(stdfs::exists(md / role));

  // Release notes with quotes, a backslash, control characters and non-ASCII text go into the signed custom
  // object: the signature only verifies if our canonical form matches tuf-js's byte for byte.
  const std::string notes = "Grüße — \"quoted\", back\\slash,\ttab\nline two ✓ 𝄞\n";
  repo.release(repo.build_folder("2.0.0"), "2.0.0", notes);
  const std::string target2 = package_target(repo, "2.0.0");
  RunResult second = tuf_js.run(md, server.url, target2, client / "out");
  INFO(describe(second));
  REQUIRE(second.exit_code == 0);
  CHECK(trusted_version(second.out, "targets") > targets_v1);
  CHECK(trusted_version(second.out, "timestamp") > trusted_version(first.out, "timestamp"));
  CHECK(read_text(downloaded_file(client / "out", target2)) == read_text(repo.package_file("2.0.0")));
  upkeep::Json custom2 = custom_of(second.out);
  CHECK(custom2.get_string("version") == "2.0.0");
  CHECK(custom2.get_string("notes") == notes);

  // The first release is still listed; the copy already in the output folder verifies and is not fetched again.
  RunResult again = tuf_js.run(md, server.url, target1, client / "out");
  INFO(describe(again));
  REQUIRE(again.exit_code == 0);
  CHECK(contains(again.out, "cached " + target1));

  // Our own client reads the same repository the same way (the sanity anchor).
  upkeep::net::HttpFetcher fetcher;
  upkeep::tuf::Client ours(client_metadata(client, repo, "ours"), server.url + "metadata/", server.url + "targets/",
                           fetcher);
  ours.refresh();
  CHECK(ours.targets_version() == trusted_version(second.out, "targets"));
  auto ours_target = ours.target_info(target2);
  REQUIRE(ours_target.has_value());
  CHECK(ours_target->length == stdfs::file_size(repo.package_file("2.0.0")));
  CHECK(ours.target_info(target1).has_value());
}

TEST_CASE("tuf-js refuses a tampered package and tampered targets metadata from an upkeep repository",
          "[interop][integration]") {
  TufJs tuf_js;
  VendorRepo repo;
  repo.release(repo.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess server(repo.repo());
  TempDir client;
  const std::string target = package_target(repo, "1.0.0");
  const stdfs::path package = repo.package_file("1.0.0");
  const std::string original = read_text(package);

  SECTION("same length, one byte changed") {
    std::string tampered = original;
    tampered[tampered.size() / 2] ^= 0x01;
    write_text(package, tampered);
    RunResult r = tuf_js.run(client_metadata(client, repo, "metadata"), server.url, target, client / "out");
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "hash"));
    CHECK_FALSE(stdfs::exists(downloaded_file(client / "out", target)));
  }

  SECTION("longer than listed (endless data)") {
    write_text(package, original + std::string(4096, 'x'));
    RunResult r = tuf_js.run(client_metadata(client, repo, "metadata"), server.url, target, client / "out");
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK_FALSE(stdfs::exists(downloaded_file(client / "out", target)));
  }

  SECTION("targets metadata rewritten by a mirror to list the tampered package") {
    std::string tampered = original + "evil";
    write_text(package, tampered);
    // Every published N.targets.json listing the package now claims the tampered length; its signature no
    // longer covers it.
    int rewritten = 0;
    for (const auto& e : stdfs::directory_iterator(repo.repo() / "metadata")) {
      const std::string name = e.path().filename().string();
      if (name.size() < 13 || name.compare(name.size() - 13, 13, ".targets.json") != 0) continue;
      upkeep::Json doc = upkeep::Json::parse(read_text(e.path()), name);
      upkeep::Json& entry = doc["signed"]["targets"][target];
      if (entry.is_null()) continue;
      entry["length"] = upkeep::Json(static_cast<int64_t>(tampered.size()));
      write_text(e.path(), doc.dump());
      ++rewritten;
    }
    REQUIRE(rewritten > 0);
    RunResult r = tuf_js.run(client_metadata(client, repo, "metadata"), server.url, target, client / "out");
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK_FALSE(contains(r.out, "downloaded"));
    CHECK_FALSE(stdfs::exists(downloaded_file(client / "out", target)));
  }
}

TEST_CASE("tuf-js and our client both accept a repository whose key ids are not SHA-256 ids of the keys",
          "[interop][integration]") {
  TufJs tuf_js;
  RepositorySimulator sim;
  // Key ids made the way other TUF tooling may make them: SHA-512 over the key in securesystemslib's
  // older form, which lists the key with an extra "keyid_hash_algorithms" field.
  auto legacy = [](const upkeep::tuf::PrivateKey& k) {
    upkeep::Json j = k.public_key().to_json();
    j["keyid_hash_algorithms"] = upkeep::Json::parse(R"(["sha256", "sha512"])");
    return j;
  };
  sim.rename_keys(
      [&](const upkeep::tuf::PrivateKey& k) {
        return upkeep::hash_hex(upkeep::HashAlgorithm::kSha512, legacy(k).dump_canonical());
      },
      [](upkeep::Json& root) {
        for (auto& [id, key] : root["keys"].as_object())
          key["keyid_hash_algorithms"] = upkeep::Json::parse(R"(["sha256", "sha512"])");
      });
  const std::string target = "demo/1.0.0/linux-x86_64/package.zip";
  sim.add_target(target, "the package bytes");
  sim.publish_new_versions();

  TempDir client;
  stdfs::create_directories(client / "metadata");
  stdfs::copy_file(sim.trust_dir() / "root.json", client / "metadata" / "root.json");
  RunResult r = tuf_js.run(client / "metadata", sim.base_url(), target, client / "out");
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "root key ids not the SHA-256 of their key: 4 of 4 keys"));
  CHECK(trusted_version(r.out, "targets") == 2);
  CHECK(read_text(downloaded_file(client / "out", target)) == "the package bytes");

  auto ours = sim.client();
  sim.refresh_reaches_published(*ours);
  auto info = ours->target_info(target);
  REQUIRE(info.has_value());
  CHECK(info->length == std::string("the package bytes").size());
}
