// `upkeep doctor` against real nginx: the documented configuration (origin,
// and a caching edge in front) passes; a timestamp cached for a day, a
// missing or damaged target and a timestamp about to expire each fail with
// exit 16 and the finding that names the fix.
#include <sys/stat.h>

#include <fstream>

#include "free_port.h"
#include "hosting_fixture.h"

using namespace upkeep::test;
using upkeep::Json;

namespace {

struct Doctored {
  RunResult run;
  Json report;
};

Doctored doctor(const std::string& url, const stdfs::path& root_json) {
  Doctored d;
  d.run = run({program("upkeep").string(), "doctor", url, "--trusted-root", root_json.string(), "--json"});
  INFO("upkeep doctor " << url << ":\n" << d.run.out << d.run.err);
  REQUIRE((d.run.exit_code == 0 || d.run.exit_code == 16));
  d.report = Json::parse(d.run.out, "upkeep doctor --json");
  return d;
}

// The first finding of `check` whose subject contains `subject`; null when none.
const Json* finding(const Json& report, const std::string& check, const std::string& subject) {
  for (const auto& f : report.get_array("findings"))
    if (f.get_string("check") == check && contains(f.get_string("subject"), subject)) return &f;
  return nullptr;
}

// 1.0.0 and 2.0.0 (with delta bundles) published and uploaded to an origin nginx; `before` misconfigures it.
struct Site {
  VendorRepo vendor;
  TempDir docroot;
  std::unique_ptr<Nginx> origin;
  explicit Site(const std::string& before = "", const std::vector<std::string>& release_extra = {}) {
    vendor.deltas = true;
    vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
    vendor.release(vendor.build_folder("2.0.0"), "2.0.0", "", release_extra);
    upload_in_order(vendor.repo(), docroot.path());
    origin = documented_origin(docroot.path(), before);
  }
  stdfs::path served_package(const std::string& version) const {
    return docroot / stdfs::relative(vendor.package_file(version), vendor.repo()).string();
  }
};

}  // namespace

TEST_CASE("doctor: the documented nginx passes, directly and through the documented caching edge",
          "[doctor][hosting][nginx][integration]") {
  Site site;
  Edge edge(site.origin->url());
  for (const std::string& url : {site.origin->url(), edge.url()}) {
    const Doctored d = doctor(url, site.vendor.root_json());
    INFO(d.run.out);
    CHECK(d.run.exit_code == 0);
    CHECK(d.report.get_bool("passed"));
    CHECK(d.report.get_int("failures") == 0);
    CHECK(d.report.get_int("warnings") == 0);
    const Json* ts = finding(d.report, "cache", "metadata/timestamp.json");
    REQUIRE(ts);
    CHECK(ts->get_string("level") == "pass");
    const Json* package = finding(d.report, "target", ".package.zip");
    REQUIRE(package);
    CHECK(package->get_string("level") == "pass");
    CHECK(finding(d.report, "target", ".delta.zst"));
    CHECK(finding(d.report, "cache", ".files.json"));
    const Json* expiry = finding(d.report, "expiry", "timestamp");
    REQUIRE(expiry);
    CHECK(expiry->get_string("level") == "pass");
  }
  // The words a person reads.
  RunResult human =
      run({program("upkeep").string(), "doctor", edge.url(), "--trusted-root", site.vendor.root_json().string()});
  INFO(human.out << human.err);
  CHECK(human.exit_code == 0);
  CHECK(contains(human.out, "all checks passed"));
}

TEST_CASE("doctor: timestamp.json cached for a day fails with the cache finding and its fix",
          "[doctor][hosting][nginx][integration]") {
  Site site("location ~ /metadata/timestamp\\.json$ {\n    add_header Cache-Control \"public, max-age=86400\";\n}\n");
  const Doctored d = doctor(site.origin->url(), site.vendor.root_json());
  CHECK(d.run.exit_code == 16);
  CHECK_FALSE(d.report.get_bool("passed"));
  const Json* f = finding(d.report, "cache", "metadata/timestamp.json");
  REQUIRE(f);
  CHECK(f->get_string("level") == "failure");
  CHECK(contains(f->get_string("message"), "86400"));
  CHECK(contains(f->get_string("fix"), "Cache-Control: no-cache"));
  CHECK(d.report.get_int("failures") == 1);  // nothing else is wrong

  RunResult human = run(
      {program("upkeep").string(), "doctor", site.origin->url(), "--trusted-root", site.vendor.root_json().string()});
  CHECK(human.exit_code == 16);
  CHECK(contains(human.out, "FAILED  cache    metadata/timestamp.json"));
  CHECK(contains(human.out, "fix: serve it with \"Cache-Control: no-cache\""));
}

TEST_CASE("doctor: a missing and a damaged target fail with the file named and what to upload",
          "[doctor][hosting][nginx][integration]") {
  Site site;
  stdfs::remove(site.served_package("2.0.0"));
  Doctored d = doctor(site.origin->url(), site.vendor.root_json());
  CHECK(d.run.exit_code == 16);
  const Json* f = finding(d.report, "target", ".package.zip");
  REQUIRE(f);
  CHECK(f->get_string("level") == "failure");
  CHECK(contains(f->get_string("message"), "404"));
  CHECK(contains(f->get_string("fix"), "upload repo/targets/demo/2.0.0/"));

  // Back, but with one byte changed.
  stdfs::copy_file(site.vendor.package_file("2.0.0"), site.served_package("2.0.0"));
  {
    std::fstream file(site.served_package("2.0.0"), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(100);
    file.put('\x5a');
  }
  d = doctor(site.origin->url(), site.vendor.root_json());
  CHECK(d.run.exit_code == 16);
  f = finding(d.report, "target", ".package.zip");
  REQUIRE(f);
  CHECK(f->get_string("level") == "failure");
  CHECK(contains(f->get_string("fix"), "again"));
}

TEST_CASE("doctor: a timestamp about to expire fails until refresh-timestamp re-signs it",
          "[doctor][hosting][nginx][integration]") {
  Site site("", {"--expires", "timestamp=1h"});
  Doctored d = doctor(site.origin->url(), site.vendor.root_json());
  CHECK(d.run.exit_code == 16);
  const Json* f = finding(d.report, "expiry", "timestamp");
  REQUIRE(f);
  CHECK(f->get_string("level") == "failure");
  CHECK(contains(f->get_string("message"), "within the 12 h warning window"));
  CHECK(contains(f->get_string("fix"), "upkeep refresh-timestamp"));

  run_ok({program("upkeep").string(), "refresh-timestamp", "--keys", site.vendor.keys().string(), "--repo",
          site.vendor.repo().string()});
  upload_in_order(site.vendor.repo(), site.docroot.path());
  d = doctor(site.origin->url(), site.vendor.root_json());
  CHECK(d.run.exit_code == 0);
  // A wider window of the vendor's own makes the fresh one (1 day) fail again.
  RunResult wide = run({program("upkeep").string(), "doctor", site.origin->url(), "--trusted-root",
                        site.vendor.root_json().string(), "--window", "timestamp=2d", "--no-targets"});
  CHECK(wide.exit_code == 16);
}

TEST_CASE("doctor: the command line", "[doctor][integration]") {
  CHECK(run({program("upkeep").string(), "doctor", "--help"}).exit_code == 0);
  RunResult none = run({program("upkeep").string(), "doctor"});
  CHECK(none.exit_code == 2);
  CHECK(contains(none.err, "missing REPO_URL"));
  // A server that is not there: a finding, not a crash, and JSON all the same.
  const int port = free_loopback_port();  // nothing listens there
  RunResult gone =
      run({program("upkeep").string(), "doctor", "http://127.0.0.1:" + std::to_string(port) + "/", "--json"});
  INFO(gone.out << gone.err);
  CHECK(gone.exit_code == 16);
  const Json j = Json::parse(gone.out, "doctor --json");
  REQUIRE(finding(j, "metadata", "metadata/"));
  CHECK(finding(j, "metadata", "metadata/")->get_string("level") == "failure");
}
