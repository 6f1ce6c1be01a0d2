// Test helpers for TUF tests: a real repository made by the vendor classes,
// served over real HTTP, plus tools to sign arbitrary (hostile) metadata.
#pragma once

#include <catch2/catch.hpp>
#include <ctime>
#include <filesystem>
#include <list>
#include <map>
#include <string>
#include <vector>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/net/http_fetcher.h"
#include "upkeep/net/repo_server.h"
#include "upkeep/platform/clock.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/publish/repository_publisher.h"
#include "upkeep/tuf/metadata.h"
#include "upkeep/tuf/tuf_client.h"

namespace upkeep::test {

// Every regular file below `dir`: relative path -> content.
inline std::map<std::string, std::string> snapshot_tree(const stdfs::path& dir) {
  std::map<std::string, std::string> out;
  if (!stdfs::exists(dir)) return out;
  for (const auto& e : stdfs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[stdfs::relative(e.path(), dir).string()] = read_text(e.path());
  return out;
}

// Signs `signed_json` with `keys` and writes the envelope to `path`; returns the bytes.
inline std::string write_signed(const stdfs::path& path, const Json& signed_json,
                                const std::vector<const tuf::PrivateKey*>& keys) {
  tuf::Envelope e;
  e.signed_json = signed_json;
  for (const auto* k : keys) e.sign(*k);
  std::string text = e.to_text();
  write_text(path, text);
  return text;
}

inline tuf::MetaFile describe(int64_t version, const std::string& bytes) {
  tuf::MetaFile m;
  m.version = version;
  m.length = bytes.size();
  m.hashes["sha256"] = sha256_hex(bytes);
  return m;
}

// Error code and message of what `f` throws (fails the test when nothing is thrown).
// A vendor repository (keys init done) served on 127.0.0.1, and a client
// trust folder holding its version 1 root. `clock` drives client and vendor clocks.
struct RepoFixture {
  TempDir tmp;
  FixedClock clock{FixedClock::at_unix(std::time(nullptr))};
  std::list<FixedClock> offset_clocks;  // of clients made with an offset
  publish::KeyStore keys = publish::KeyStore::create(tmp / "keys", "demo");
  publish::RepositoryPublisher publisher{tmp / "repo", keys, {}, clock};
  net::RepoServer server{tmp / "repo"};
  net::HttpFetcher fetcher;
  stdfs::path trust = tmp / "trust";
  int builds = 0;

  RepoFixture() {
    publisher.initialize();
    server.start();
    stdfs::create_directories(trust);
    stdfs::copy_file(meta("1.root.json"), trust / "root.json");
  }
  stdfs::path repo() const { return tmp / "repo"; }
  stdfs::path meta(const std::string& name) const { return tmp / "repo" / "metadata" / name; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server.port()) + "/"; }

  std::time_t now() const { return clock.unix_now(); }
  void advance(std::time_t seconds) { clock.advance(std::chrono::seconds(seconds)); }

  // A client on `clock`, or with an offset on its own clock, `offset`
  // seconds ahead of now() when it is made (it does not follow `clock`).
  std::unique_ptr<tuf::Client> client(std::time_t offset = 0) {
    const Clock* c = &clock;
    if (offset != 0) c = &offset_clocks.emplace_back(FixedClock::at_unix(now() + offset));
    return std::make_unique<tuf::Client>(trust, base_url() + "metadata/", base_url() + "targets/", fetcher, *c);
  }

  publish::PublishedRelease release(const std::string& version, const std::string& channel = "stable") {
    stdfs::path build = tmp / ("build" + std::to_string(++builds));
    write_text(build / "bin" / "app", "#!/bin/sh\necho " + version + "\n");
    write_text(build / "README", "version " + version + "\n");
    publish::ReleaseInfo info;
    info.app_id = "demo";
    info.version = version;
    info.channel = channel;
    info.platform = "linux-x86_64";
    info.notes = "notes for " + version;
    return publisher.publish_release(build, info);
  }

  std::unique_ptr<tuf::PrivateKey> key(const char* role) const { return keys.load_key(role); }
};

}  // namespace upkeep::test
