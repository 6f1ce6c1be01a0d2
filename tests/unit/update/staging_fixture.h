// A release published by the vendor classes, served over real HTTP by
// RepoServer, and an install root ready to stage it: shared by the stager
// and update service tests.
#pragma once

#include <catch2/catch.hpp>
#include <functional>
#include <random>

#include "test_support.h"
#include "upkeep/install/layout.h"
#include "upkeep/install/state_store.h"
#include "upkeep/net/http_fetcher.h"
#include "upkeep/net/repo_server.h"
#include "upkeep/platform/build_platform.h"
#include "upkeep/policy/config.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/publish/repository_publisher.h"
#include "upkeep/tuf/tuf_client.h"
#include "upkeep/update/release_selector.h"
#include "upkeep/update/stager.h"

namespace upkeep::test {

// The real HttpFetcher, with a record of what each download transferred and
// a hook that runs just before a download starts.
class RecordingFetcher : public net::Fetcher {
 public:
  std::string get(const std::string& url, uint64_t max) override { return http_.get(url, max); }
  std::optional<std::string> get_if_exists(const std::string& url, uint64_t max) override {
    return http_.get_if_exists(url, max);
  }
  DownloadResult download(const std::string& url, const stdfs::path& dest, uint64_t length, const std::string& sha256,
                          net::DownloadProgress* progress) override {
    if (before_download) before_download();
    ++downloads;
    last = http_.download(url, dest, length, sha256, progress);
    return last;
  }
  std::function<void()> before_download;
  int downloads = 0;
  DownloadResult last;

 private:
  net::HttpFetcher http_;
};

struct StagingFixture {
  TempDir dir;
  stdfs::path repo = dir / "repo";
  publish::KeyStore keys = publish::KeyStore::create(dir / "keys", "demo");
  net::RepoServer server{repo};
  Layout layout;
  RecordingFetcher fetcher;
  uint64_t package_length = 0;
  stdfs::path package_file;  // 2.0.0's package in the repository (for tampering)

  explicit StagingFixture(const stdfs::path& root) : layout(root) {
    publish::RepositoryPublisher publisher(repo, keys);
    publisher.initialize();
    // A release of a few files, one of them 1 MiB of incompressible bytes.
    stdfs::path build = dir / "build";
    std::string big(1 << 20, '\0');
    std::mt19937 rng(7);
    for (auto& c : big) c = static_cast<char>(rng());
    write_text(build / "bin" / "app", big);
    write_text(build / "README", "hello\n");
    publish::ReleaseInfo info;
    info.app_id = "demo";
    info.version = "2.0.0";
    auto published = publisher.publish_release(build, info);
    package_length = published.package_length;
    package_file = published.package_file;
    server.start();
    for (const auto& d : {layout.trust_dir(), layout.staging_dir(), layout.versions_dir()})
      stdfs::create_directories(d);
    stdfs::copy_file(repo / "metadata" / "1.root.json", layout.trust_dir() / "root.json");
    StateStore store(layout.state_db());
  }

  // Publishes another small, good release of the same app.
  void publish(const std::string& version) {
    stdfs::path build = dir / ("build-" + version);
    write_text(build / "bin" / "app", "app " + version + "\n");
    publish::ReleaseInfo info;
    info.app_id = "demo";
    info.version = version;
    publish::RepositoryPublisher(repo, keys).publish_release(build, info);
  }

  // The stager tests exercise the package path; delta staging has its own tests.
  bool use_delta = false;

  std::string base() const { return "http://127.0.0.1:" + std::to_string(server.port()) + "/"; }

  void stage() {
    tuf::Client client(layout.trust_dir(), base() + "metadata/", base() + "targets/", fetcher);
    client.refresh();
    auto release =
        select_release(client.targets(), {.app_id = "demo", .platform = build_platform(), .channel = "stable"});
    REQUIRE(release);
    Stager(layout, fetcher).stage(*release, ReleaseUrls::of(*release, client, "demo", use_delta), nullptr);
  }

  bool nothing_staged() {
    StateStore store(layout.state_db());
    return !stdfs::exists(layout.staged_dir("2.0.0")) && !store.get("2.0.0") &&
           !stdfs::exists(layout.pending_marker()) && !stdfs::exists(layout.manifest_file("2.0.0"));
  }
};

}  // namespace upkeep::test
