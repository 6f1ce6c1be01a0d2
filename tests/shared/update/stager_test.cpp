// Stager against a real repository made by the vendor classes and served
// over real HTTP: staging, resume after a dropped connection, a tampered
// manifest, and a full disk.
#include <sys/mount.h>

#include <catch2/catch.hpp>
#include <random>

#include "error.h"
#include "fs.h"
#include "hash.h"
#include "layout.h"
#include "manifest.h"
#include "net/http_fetcher.h"
#include "net/repo_server.h"
#include "state_store.h"
#include "expect_error.h"
#include "test_support.h"
#include "tuf/tuf_client.h"
#include "update/release_selector.h"
#include "update/stager.h"
#include "vendor/key_store.h"
#include "vendor/repository_publisher.h"

using namespace upkeep;
using namespace upkeep::test;

namespace {

// The real HttpFetcher, with a record of what each download transferred and
// a hook that runs just before a download starts.
class RecordingFetcher : public Fetcher {
 public:
  std::string get(const std::string& url, uint64_t max) override { return http_.get(url, max); }
  std::optional<std::string> get_if_exists(const std::string& url, uint64_t max) override {
    return http_.get_if_exists(url, max);
  }
  DownloadResult download(const std::string& url, const stdfs::path& dest, uint64_t length, const std::string& sha256,
                          DownloadProgress* progress) override {
    if (before_download) before_download();
    ++downloads;
    last = http_.download(url, dest, length, sha256, progress);
    return last;
  }
  std::function<void()> before_download;
  int downloads = 0;
  DownloadResult last;

 private:
  HttpFetcher http_;
};

struct Fixture {
  TempDir dir;
  stdfs::path repo = dir / "repo";
  vendor::KeyStore keys = vendor::KeyStore::create(dir / "keys", "demo");
  RepoServer server{repo};
  Layout layout;
  RecordingFetcher fetcher;
  uint64_t package_length = 0;

  explicit Fixture(const stdfs::path& root) : layout(root) {
    vendor::RepositoryPublisher publisher(repo, keys);
    publisher.initialize();
    // A release of a few files, one of them 1 MiB of incompressible bytes.
    stdfs::path build = dir / "build";
    std::string big(1 << 20, '\0');
    std::mt19937 rng(7);
    for (auto& c : big) c = static_cast<char>(rng());
    write_text(build / "bin" / "app", big);
    write_text(build / "README", "hello\n");
    vendor::ReleaseInfo info;
    info.app_id = "demo";
    info.version = "2.0.0";
    package_length = publisher.publish_release(build, info).package_length;
    server.start();
    for (const auto& d : {layout.trust_dir(), layout.staging_dir(), layout.versions_dir()})
      stdfs::create_directories(d);
    stdfs::copy_file(repo / "metadata" / "1.root.json", layout.trust_dir() / "root.json");
    StateStore store(layout.state_db());
  }

  std::string base() const { return "http://127.0.0.1:" + std::to_string(server.port()) + "/"; }

  void stage() {
    tuf::Client client(layout.trust_dir(), base() + "metadata/", base() + "targets/", fetcher);
    client.refresh();
    auto release = select_release(client.targets(), {.app_id = "demo", .platform = build_platform(), .channel = "stable"});
    REQUIRE(release);
    Stager(layout, fetcher).stage(*release, client.target_url(release->package), client.target_url(release->manifest),
                                  nullptr);
  }

  bool nothing_staged() {
    StateStore store(layout.state_db());
    return !stdfs::exists(layout.staged_dir("2.0.0")) && !store.get("2.0.0") && !stdfs::exists(layout.pending_marker()) &&
           !stdfs::exists(layout.manifest_file("2.0.0"));
  }
};

}  // namespace

TEST_CASE("stage: download, verify, extract and record", "[stager]") {
  TempDir root;
  Fixture f(root.path());
  f.stage();
  StateStore store(f.layout.state_db());
  auto rec = store.get("2.0.0");
  REQUIRE(rec);
  CHECK(rec->state == VersionState::kStaged);
  std::string manifest = fs::read_file(f.layout.manifest_file("2.0.0"));
  CHECK(rec->manifest_sha256 == sha256_hex(manifest));
  FileManifest::parse(manifest).verify_directory(f.layout.staged_dir("2.0.0"), FileManifest::Depth::kFull);
  CHECK(stdfs::exists(f.layout.pending_marker()));
  CHECK_FALSE(stdfs::exists(f.layout.staging_dir() / "2.0.0.package.zip"));

  // Staging again is a no-op: nothing is downloaded twice.
  f.stage();
  CHECK(f.fetcher.downloads == 1);
}

TEST_CASE("stage: a connection dropped half-way resumes and fetches only the rest", "[stager]") {
  TempDir root;
  Fixture f(root.path());
  uint64_t half = f.package_length / 2;
  f.fetcher.before_download = [&] { f.server.set_drop_after_bytes(half); };
  error_of([&] { f.stage(); }, ErrorCode::kNetwork);
  CHECK(f.nothing_staged());
  stdfs::path part = f.layout.staging_dir() / "2.0.0.package.zip.part";
  REQUIRE(stdfs::exists(part));
  uint64_t have = stdfs::file_size(part);
  CHECK(have == half);

  f.fetcher.before_download = nullptr;
  f.stage();
  CHECK(f.fetcher.last.resumed);
  CHECK(f.fetcher.last.bytes_transferred == f.package_length - have);
  StateStore store(f.layout.state_db());
  CHECK(store.get("2.0.0")->state == VersionState::kStaged);
  CHECK_FALSE(stdfs::exists(part));
}

TEST_CASE("stage: a manifest that does not match its signed hash stages nothing", "[stager]") {
  TempDir root;
  Fixture f(root.path());
  for (const auto& e : stdfs::recursive_directory_iterator(f.repo / "targets"))
    if (e.path().filename().string().find(".files.json") != std::string::npos) {
      std::string text = read_text(e.path());
      text.replace(text.find("\"size\":"), 7, "\"size\" :");  // same meaning, different bytes
      write_text(e.path(), text);
    }
  try {
    f.stage();
    FAIL("staging a tampered manifest must fail");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kVerification);
    CHECK(std::string(e.what()).find("files.json") != std::string::npos);
  }
  CHECK(f.nothing_staged());
  CHECK(f.fetcher.downloads == 0);  // the package is never fetched
}

TEST_CASE("stage: a full disk fails with 'not enough space' and leaves nothing", "[stager]") {
  TempDir outer;
  stdfs::path root = outer / "small";
  stdfs::create_directories(root);
  if (::mount("tmpfs", root.c_str(), "tmpfs", 0, "size=512k") != 0) {
    WARN("cannot mount a tmpfs here (needs root): skipped");
    return;
  }
  struct Unmount {
    stdfs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{root};
  {
    Fixture f(root);
    try {
      f.stage();
      FAIL("staging onto a full disk must fail");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kNoSpace);
      CHECK(std::string(e.what()).find("not enough space") != std::string::npos);
    }
    CHECK(f.nothing_staged());
    CHECK(stdfs::is_empty(f.layout.staging_dir()));
  }
}
