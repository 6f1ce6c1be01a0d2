// RepositoryDoctor on a repository the vendor classes publish, served by
// RepoServer (which sends the hosting page's headers), with the clock moved:
// the days before each expiry and after the timestamp's.
#include "upkeep/update/repository_doctor.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "test_support.h"
#include "upkeep/net/http_fetcher.h"
#include "upkeep/net/repo_server.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/publish/repository_publisher.h"

using namespace upkeep;
using upkeep::test::TempDir;

namespace {

struct Published {
  TempDir dir;
  std::filesystem::path repo = dir / "repo";
  publish::KeyStore keys = publish::KeyStore::create(dir / "keys", "demo");
  net::RepoServer server{repo};
  std::time_t released = std::time(nullptr);
  Published() {
    publish::RepositoryPublisher publisher(repo, keys);
    publisher.initialize();
    test::write_text(dir / "build" / "bin" / "app", "app\n");
    publish::ReleaseInfo info;
    info.app_id = "demo";
    info.version = "1.0.0";
    publisher.publish_release(dir / "build", info);
    server.start();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server.port()) + "/"; }

  // The doctor's report with the clock `hours` after the release.
  DoctorReport examine_at(int hours) {
    TempDir work;
    net::HttpFetcher fetcher;
    FixedClock clock(FixedClock::at_unix(released + hours * 3600));
    DoctorOptions o;
    o.trusted_root = repo / "metadata" / "1.root.json";
    return RepositoryDoctor(url(), work.path(), fetcher, clock).examine(o);
  }
};

const DoctorFinding* find(const DoctorReport& r, const std::string& check, const std::string& subject) {
  for (const auto& f : r.findings)
    if (f.check == check && f.subject == subject) return &f;
  return nullptr;
}

}  // namespace

TEST_CASE("RepositoryDoctor: a fresh repository behind RepoServer passes every check", "[repository_doctor]") {
  Published p;
  const DoctorReport r = p.examine_at(0);
  CHECK(r.passed());
  CHECK(r.count(DoctorFinding::Level::kWarning) == 0);
  REQUIRE(find(r, "cache", "metadata/timestamp.json"));
  REQUIRE(find(r, "cache", "metadata/2.snapshot.json"));
  CHECK(find(r, "cache", "metadata/2.snapshot.json")->level == DoctorFinding::Level::kPass);
  CHECK(r.to_json().get_bool("passed"));
}

TEST_CASE("RepositoryDoctor: each role fails within its window, and an expired timestamp names the fix",
          "[repository_doctor]") {
  Published p;
  // 13 hours on: 11 h left on the timestamp, within its 12 h window.
  DoctorReport r = p.examine_at(13);
  CHECK_FALSE(r.passed());
  const DoctorFinding* ts = find(r, "expiry", "timestamp");
  REQUIRE(ts);
  CHECK(ts->level == DoctorFinding::Level::kFailure);
  CHECK(ts->fix.find("upkeep refresh-timestamp") != std::string::npos);
  CHECK(find(r, "expiry", "snapshot")->level == DoctorFinding::Level::kPass);

  // Two days on: the timestamp has expired, the refresh refuses it, nothing else is judged but the headers.
  r = p.examine_at(48);
  CHECK_FALSE(r.passed());
  const DoctorFinding* md = find(r, "metadata", "metadata/");
  REQUIRE(md);
  CHECK(md->level == DoctorFinding::Level::kFailure);
  CHECK(md->message.find("expired") != std::string::npos);
  CHECK(md->fix.find("upkeep refresh-timestamp") != std::string::npos);
  CHECK(std::none_of(r.findings.begin(), r.findings.end(), [](const DoctorFinding& f) { return f.check == "target"; }));
  CHECK(find(r, "cache", "metadata/timestamp.json"));
}
