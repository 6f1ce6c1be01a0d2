// docs/hosting.md checked against real servers: an origin nginx (and Apache,
// and an S3 bucket filled by the page's AWS CLI lines on s3rver)
// and a caching edge nginx configured with the page's own snippets, a publish
// uploaded in the page's order while clients read through the edge, the
// wrong configuration that serves a stale release, and the page's systemd
// units for refresh-timestamp verified by systemd-analyze and its command run.
#include <sys/stat.h>

#include "apache_server.h"
#include "hosting_fixture.h"
#include "s3_server.h"

using namespace upkeep::test;
using upkeep::Json;

namespace {

// 1.0.0 published by the vendor and uploaded to an origin nginx's docroot.
struct Hosted {
  VendorRepo vendor;
  TempDir docroot;
  std::unique_ptr<Nginx> origin;
  Hosted() {
    vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
    upload_in_order(vendor.repo(), docroot.path());
    origin = documented_origin(docroot.path());
  }
  void publish(const std::string& version, const std::function<void(int)>& after = {}) {
    vendor.release(vendor.build_folder(version), version);
    upload_in_order(vendor.repo(), docroot.path(), after);
  }
};

// The headers of a second GET of `url`: after the first one filled the cache if it may.
std::string second_look(const std::string& url) {
  headers_of(url);
  return headers_of(url);
}

}  // namespace

TEST_CASE("hosting: the documented origin sends the cache rules of each file kind, and none on a 404",
          "[hosting][nginx][integration]") {
  Hosted h;
  const std::string base = h.origin->url();
  CHECK(contains(headers_of(base + "metadata/timestamp.json"), "cache-control: no-cache"));
  CHECK(contains(headers_of(base + "metadata/root.json"), "cache-control: no-cache"));
  for (const char* rel : {"metadata/1.root.json", "metadata/2.snapshot.json", "metadata/2.targets.json"})
    CHECK(contains(headers_of(base + rel), "cache-control: public, max-age=31536000, immutable"));
  const std::string package = stdfs::relative(h.vendor.package_file("1.0.0"), h.vendor.repo()).string();
  CHECK(contains(headers_of(base + package), "cache-control: public, max-age=31536000, immutable"));
  const std::string missing = headers_of(base + "metadata/2.root.json");
  CHECK(contains(missing, " 404 "));
  CHECK_FALSE(contains(missing, "cache-control"));
}

TEST_CASE(
    "hosting: through a caching edge configured as documented, a publish uploaded in order is never seen stale "
    "or half-done",
    "[hosting][nginx][integration]") {
  Hosted h;
  Edge edge(h.origin->url());
  // Warm the edge with release 1: an install through it, and a client's check.
  Installed app(edge.url(), h.vendor.root_json(), "1.0.0");
  REQUIRE(newest_seen(edge.url(), h.vendor.root_json()) == "1.0.0");
  // The edge really caches (what never changes), so what follows means something...
  const std::string package = stdfs::relative(h.vendor.package_file("1.0.0"), h.vendor.repo()).string();
  CHECK_THAT(second_look(edge.url() + package), Catch::Contains("x-cache-status: HIT", Catch::CaseSensitive::No));
  CHECK_THAT(second_look(edge.url() + "metadata/2.snapshot.json"),
             Catch::Contains("x-cache-status: hit", Catch::CaseSensitive::No));
  // ...and never timestamp.json, nor a 404.
  CHECK_THAT(second_look(edge.url() + "metadata/timestamp.json"),
             Catch::Contains("x-cache-status: miss", Catch::CaseSensitive::No));
  // A 404 is not kept: a file asked for before it was uploaded is served once it is.
  CHECK(contains(second_look(edge.url() + "metadata/9.probe.json"), " 404 "));
  write_text(h.docroot / "metadata" / "9.probe.json", "{}");
  CHECK(contains(headers_of(edge.url() + "metadata/9.probe.json"), " 200 "));

  // Release 2, uploaded in the documented order; a client checks through the edge after every step.
  h.publish("2.0.0", [&](int step) {
    RunResult r;
    const std::string seen = newest_seen(edge.url(), h.vendor.root_json(), &r);
    INFO("after upload step " << step << ": " << r.out << r.err);
    CHECK(r.exit_code == 0);  // never a half-published release
    CHECK(seen == (step < 3 ? "1.0.0" : "2.0.0"));
  });

  // The installed app's own updater, through the edge, takes release 2 and verifies it.
  RunResult r = run({app.launcher().string(), "--exit-after-check", "--ui", "terminal"}, {}, std::string("y\n"));
  INFO(r.out << r.err);
  CHECK(contains(r.out, "version 2.0.0 downloaded, verified and staged"));
  CHECK(app.current() == "versions/2.0.0");
}

TEST_CASE("hosting: an edge that caches timestamp.json (a cache-everything rule) keeps serving the old release",
          "[hosting][nginx][integration]") {
  Hosted h;
  Edge edge(h.origin->url(), "    proxy_cache_valid 200 1d;\n    proxy_ignore_headers Cache-Control Expires;\n");
  Installed app(edge.url(), h.vendor.root_json(), "1.0.0");
  REQUIRE(newest_seen(edge.url(), h.vendor.root_json()) == "1.0.0");
  h.publish("2.0.0");
  REQUIRE(newest_seen(h.origin->url(), h.vendor.root_json()) == "2.0.0");  // the origin has it
  CHECK(newest_seen(edge.url(), h.vendor.root_json()) == "1.0.0");         // the edge hides it
  RunResult r = run({app.launcher().string(), "--exit-after-check", "--ui", "terminal"}, {}, std::string("y\n"));
  INFO(r.out << r.err);
  CHECK(app.current() == "versions/1.0.0");
}

TEST_CASE("hosting: the documented refresh-timestamp units pass systemd-analyze verify and their command works",
          "[hosting][integration]") {
  REQUIRE(stdfs::exists("/usr/bin/systemd-analyze"));
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  TempDir units;
  const std::string upkeep = program("upkeep").string();
  std::string service = doc_snippet("systemd-service");
  service = replaced(service, "/usr/local/bin/upkeep", upkeep);
  service = replaced(service, "--keys /srv/upkeep/keys --repo /srv/upkeep/repo",
                     "--keys " + vendor.keys().string() + " --repo " + vendor.repo().string());
  service = replaced(service, "User=upkeep", "User=root");
  const std::string timer = doc_snippet("systemd-timer");
  write_text(units / "upkeep-refresh-timestamp.service", service);
  write_text(units / "upkeep-refresh-timestamp.timer", timer);
  TempDir runtime;
  const RunResult v = run({"/usr/bin/systemd-analyze", "verify", (units / "upkeep-refresh-timestamp.service").string(),
                           (units / "upkeep-refresh-timestamp.timer").string()},
                          {{"XDG_RUNTIME_DIR", runtime.path().string()}});
  INFO("systemd-analyze verify:\n" << v.out << v.err);
  CHECK(v.exit_code == 0);
  CHECK_FALSE(contains(v.err, "upkeep-refresh-timestamp"));

  // The service's ExecStart, as written, re-signs the timestamp.
  const size_t at = service.find("\nExecStart=") + 11;
  const std::string exec = service.substr(at, service.find('\n', at) - at);
  std::vector<std::string> argv;
  for (size_t i = 0; i < exec.size();) {
    const size_t space = std::min(exec.find(' ', i), exec.size());
    argv.push_back(exec.substr(i, space - i));
    i = space + 1;
  }
  const Json before = Json::parse(read_text(vendor.repo() / "metadata" / "timestamp.json"), "timestamp.json");
  run_ok(argv);
  const Json after = Json::parse(read_text(vendor.repo() / "metadata" / "timestamp.json"), "timestamp.json");
  CHECK(after.at("signed").get_int("version") == before.at("signed").get_int("version") + 1);

  // The cron line runs the same command every 6 hours.
  const std::string cron = doc_snippet("cron");
  CHECK(cron.rfind("17 */6 * * * upkeep /usr/local/bin/upkeep refresh-timestamp", 0) == 0);
  CHECK(contains(timer, "OnCalendar=*-*-* 00/6:00:00"));
}

TEST_CASE("hosting: the documented Apache configuration sends the cache rules, and doctor passes through it",
          "[hosting][apache][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  TempDir docroot;
  upload_in_order(vendor.repo(), docroot.path());
  Apache apache(docroot.path(), doc_snippet("apache"));
  const std::string base = apache.url();
  INFO(apache.error_log());
  CHECK(contains(headers_of(base + "metadata/timestamp.json"), "cache-control: no-cache"));
  CHECK(contains(headers_of(base + "metadata/root.json"), "cache-control: no-cache"));
  CHECK(contains(headers_of(base + "metadata/2.snapshot.json"), "cache-control: public, max-age=31536000, immutable"));
  const std::string package = stdfs::relative(vendor.package_file("1.0.0"), vendor.repo()).string();
  CHECK(contains(headers_of(base + package), "cache-control: public, max-age=31536000, immutable"));
  const std::string missing = headers_of(base + "metadata/2.root.json");
  CHECK(contains(missing, " 404 "));
  CHECK_FALSE(contains(missing, "cache-control"));

  RunResult d = run({program("upkeep").string(), "doctor", base, "--trusted-root", vendor.root_json().string()});
  INFO(d.out << d.err);
  CHECK(d.exit_code == 0);
  CHECK(contains(d.out, "all checks passed"));
}

TEST_CASE(
    "hosting: the documented S3 upload (Debian's AWS CLI, s3rver) sets the cache rules per object, and "
    "clients and doctor read the bucket",
    "[hosting][s3][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  S3Server s3;
  const std::string bucket = s3.url() + "my-bucket/";
  INFO(s3.log_text());
  // s3rver serves every object without a bucket policy (it has none): the page's policy line is not run.
  run_ok({"/bin/sh", "-c", "aws s3 mb s3://my-bucket"}, s3.env());
  // The latest link too, so that step 3 of the snippet has something to send.
  run_ok({program("upkeep").string(), "bundle", "--version", "1.0.0", "-o", (vendor.dir() / "demo.run").string(),
          "--repo", vendor.repo().string(), "--update-url", bucket});
  const auto upload = [&] {
    run_ok({"/bin/bash", "-e", "-c", "cd " + vendor.dir().path().string() + "\n" + doc_snippet("s3")}, s3.env());
  };
  upload();

  CHECK(contains(headers_of(bucket + "metadata/timestamp.json"), "cache-control: no-cache"));
  CHECK(contains(headers_of(bucket + "metadata/root.json"), "cache-control: no-cache"));
  CHECK(
      contains(headers_of(bucket + "metadata/2.snapshot.json"), "cache-control: public, max-age=31536000, immutable"));
  CHECK(contains(headers_of(bucket + "metadata/1.root.json"), "cache-control: public, max-age=31536000, immutable"));
  const std::string package = stdfs::relative(vendor.package_file("1.0.0"), vendor.repo()).string();
  CHECK(contains(headers_of(bucket + package), "cache-control: public, max-age=31536000, immutable"));
  CHECK(contains(headers_of(bucket + "download/demo-latest-linux-x86_64"), "cache-control: no-cache"));
  CHECK(newest_seen(bucket, vendor.root_json()) == "1.0.0");
  RunResult d = run({program("upkeep").string(), "doctor", bucket, "--trusted-root", vendor.root_json().string()});
  INFO(d.out << d.err);
  CHECK(d.exit_code == 0);

  // The next release, uploaded by the same lines, is what clients see.
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  upload();
  CHECK(newest_seen(bucket, vendor.root_json()) == "2.0.0");
}
