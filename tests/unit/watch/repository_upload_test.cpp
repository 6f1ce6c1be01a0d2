#include "upkeep/watch/repository_upload.h"

#include <catch2/catch.hpp>
#include <set>

#include "unit/tuf/tuf_test_repo.h"
#include "upkeep/platform/fs.h"
#include "upkeep/tuf/tuf_client.h"
#include "upkeep/watch/local_folder_destination.h"

using namespace upkeep;
using namespace upkeep::test;
using upkeep::watch::LocalFolderDestination;
using upkeep::watch::PublishDestination;
using upkeep::watch::RepositoryUpload;

namespace {

// A folder destination that records each operation, and can fail the put
// of one file a number of times (our own interface: the order is the fact tested).
class RecordingDestination : public LocalFolderDestination {
 public:
  using LocalFolderDestination::LocalFolderDestination;
  std::vector<std::string> ops;
  std::string fail_path;  // a put of this final name's temporary file fails
  int failures_left = 0;

  void put_file(const stdfs::path& from, const std::string& path) override {
    if (!fail_path.empty() && path.find(stdfs::path(fail_path).filename().string()) != std::string::npos &&
        failures_left > 0) {
      --failures_left;
      ops.push_back("put-failed " + path);
      fail(ErrorCode::kNetwork, "injected failure writing " + path);
    }
    ops.push_back("put " + path);
    LocalFolderDestination::put_file(from, path);
  }
  void rename(const std::string& from, const std::string& to) override {
    ops.push_back("rename " + to);
    LocalFolderDestination::rename(from, to);
  }
  // The final names in the order they were renamed into place.
  std::vector<std::string> published() const {
    std::vector<std::string> out;
    for (const auto& op : ops)
      if (op.rfind("rename ", 0) == 0) out.push_back(op.substr(7));
    return out;
  }
};

size_t index_of(const std::vector<std::string>& v, const std::string& x) {
  return static_cast<size_t>(std::find(v.begin(), v.end(), x) - v.begin());
}

// A TUF client of the repository copy at `dir` (file:// URLs), trusting the fixture's first root.
std::unique_ptr<tuf::Client> client_of(RepoFixture& f, const stdfs::path& dir, const stdfs::path& trust) {
  stdfs::create_directories(trust);
  stdfs::copy_file(f.meta("1.root.json"), trust / "root.json", stdfs::copy_options::overwrite_existing);
  const std::string base = "file://" + dir.string() + "/";
  return std::make_unique<tuf::Client>(trust, base + "metadata/", base + "targets/", f.fetcher, f.clock);
}

}  // namespace

TEST_CASE("RepositoryUpload::order: targets, then roles, snapshot, root versions, timestamp.json, the latest links",
          "[watch][repository_upload]") {
  const auto o = RepositoryUpload::order({"download/demo-latest-linux", "metadata/timestamp.json", "metadata/root.json",
                                          "metadata/10.root.json", "metadata/2.root.json", "metadata/3.snapshot.json",
                                          "metadata/3.targets.json", "metadata/2.team.json",
                                          "targets/demo/blobs/ab.zst", "targets/demo/1.0/linux/ff.package.zip"});
  CHECK(o == std::vector<std::string>{"targets/demo/1.0/linux/ff.package.zip", "targets/demo/blobs/ab.zst",
                                      "metadata/2.team.json", "metadata/3.targets.json", "metadata/3.snapshot.json",
                                      "metadata/2.root.json", "metadata/10.root.json", "metadata/root.json",
                                      "metadata/timestamp.json", "download/demo-latest-linux"});
  CHECK(RepositoryUpload::immutable_name("targets/demo/blobs/ab.zst"));
  CHECK(RepositoryUpload::immutable_name("metadata/3.snapshot.json"));
  CHECK_FALSE(RepositoryUpload::immutable_name("metadata/timestamp.json"));
  CHECK_FALSE(RepositoryUpload::immutable_name("metadata/root.json"));
}

TEST_CASE(
    "RepositoryUpload: a real repository copied into a folder in order, a client verifies the copy, "
    "a second run copies only what changed",
    "[watch][repository_upload]") {
  RepoFixture f;
  f.release("1.0.0");
  TempDir dest;
  RecordingDestination d(dest.path() / "www");
  auto r = RepositoryUpload(f.repo(), d).run();
  CHECK(r.skipped == 0);
  const auto published = d.published();
  REQUIRE(!published.empty());
  CHECK(published.back() == "metadata/timestamp.json");
  for (size_t i = 0; i + 1 < published.size(); ++i) {
    if (published[i].rfind("metadata/", 0) == 0) CHECK(published[i + 1].rfind("targets/", 0) != 0);
  }
  // Each put went to a temporary name in the final name's folder, renamed after.
  for (const auto& op : d.ops) {
    if (op.rfind("put ", 0) == 0) CHECK(op.find("/.") != std::string::npos);
    CHECK((op.find(".upkeep-part") == std::string::npos || op.rfind("put ", 0) == 0));
  }
  auto client = client_of(f, dest.path() / "www", dest.path() / "trust");
  client->refresh();
  CHECK(client->targets().size() == 3);

  f.release("1.0.1");
  d.ops.clear();
  auto r2 = RepositoryUpload(f.repo(), d).run();
  CHECK(r2.skipped > 0);
  for (const auto& name : d.published()) {
    CHECK(name.find("/1.0.0/") == std::string::npos);  // 1.0.0's files are there already
  }
  CHECK(d.published().back() == "metadata/timestamp.json");
  client->refresh();
  CHECK(client->targets().size() == 6);
  // Nothing left under a temporary name.
  for (const auto& e : fs::list_tree(dest.path() / "www")) CHECK(e.path.find(".upkeep-part") == std::string::npos);

  // The timestamp re-signed, same size, other bytes: copied although its size matches.
  f.advance(60);
  f.publisher.refresh_timestamp();
  d.ops.clear();
  auto r3 = RepositoryUpload(f.repo(), d).run();
  CHECK(d.published() == std::vector<std::string>{"metadata/timestamp.json"});
  CHECK(r3.uploaded == 1);
  CHECK(fs::read_file(dest.path() / "www/metadata/timestamp.json") == fs::read_file(f.meta("timestamp.json")));
}

TEST_CASE("RepositoryUpload: a copy that fails is tried again, one that keeps failing stops before timestamp.json",
          "[watch][repository_upload]") {
  RepoFixture f;
  f.release("1.0.0");
  TempDir dest;
  RecordingDestination d(dest.path() / "www");
  RepositoryUpload(f.repo(), d).run();
  const std::string before = fs::read_file(dest.path() / "www/metadata/timestamp.json");

  auto r = f.release("1.0.1");
  const std::string package = stdfs::relative(r.package_file, f.repo()).string();
  d.fail_path = package;
  d.failures_left = 2;
  auto ok = RepositoryUpload(f.repo(), d).run();
  CHECK(ok.retries == 2);
  CHECK(d.published().back() == "metadata/timestamp.json");

  auto r2 = f.release("1.0.2");
  d.fail_path = stdfs::relative(r2.package_file, f.repo()).string();
  d.failures_left = 100;
  d.ops.clear();
  const std::string at_101 = fs::read_file(dest.path() / "www/metadata/timestamp.json");
  try {
    RepositoryUpload(f.repo(), d, 3).run();
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kNetwork);
    CHECK(std::string(e.what()).find("timestamp.json not written") != std::string::npos);
  }
  CHECK(d.failures_left == 97);
  CHECK(index_of(d.published(), "metadata/timestamp.json") == d.published().size());
  CHECK(fs::read_file(dest.path() / "www/metadata/timestamp.json") == at_101);  // still the previous release, whole
  CHECK(before != at_101);
  // The client of the copy sees 1.0.1, complete.
  auto client = client_of(f, dest.path() / "www", dest.path() / "trust");
  client->refresh();
  CHECK(client->targets().size() == 6);
}

TEST_CASE("RepositoryUpload: a folder that refuses writes for real leaves the destination's timestamp as it was",
          "[watch][repository_upload]") {
  RepoFixture f;
  f.release("1.0.0");
  TempDir dest;
  LocalFolderDestination d(dest.path());
  RepositoryUpload(f.repo(), d).run();
  const std::string before = fs::read_file(dest.path() / "metadata/timestamp.json");
  f.release("1.0.1");
  stdfs::create_directories(dest.path() / "targets/demo/1.0.1");
  ImmutableDir locked(dest.path() / "targets/demo/1.0.1");
  if (!locked.active()) {
    WARN("skipped: chattr +i is not available here");
    return;
  }
  CHECK_THROWS_AS(RepositoryUpload(f.repo(), d).run(), Error);
  CHECK(fs::read_file(dest.path() / "metadata/timestamp.json") == before);
}
