// The latest link (docs/hosting.md "The latest link") on plain static
// hosting, nginx configured as documented: `upkeep bundle` makes it,
// `upkeep release` keeps it current, an older bundle never takes it back, a
// beta gets its own; the file a website's visitor downloads is a bundle that
// installs the newest release.
#include <sys/stat.h>

#include "hosting_fixture.h"
#include "upkeep/admin/offline_bundle.h"

using namespace upkeep::test;
using upkeep::Json;

namespace {

std::string version_in(const stdfs::path& bundle) { return upkeep::admin::OfflineBundle::open(bundle).facts().version; }

}  // namespace

TEST_CASE("latest link: made by bundle, refreshed by release, served by nginx, installs the newest release",
          "[hosting][latest][nginx][integration]") {
  VendorRepo vendor;
  const auto origin = documented_origin(vendor.repo());  // the publisher's folder, served as it is
  const stdfs::path link = vendor.repo() / "download" / "demo-latest-linux-x86_64";
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  CHECK_FALSE(stdfs::exists(link));  // no link until a bundle asks for one

  TempDir out;
  auto bundle = [&](const std::string& version) {
    RunResult r = run_ok({program("upkeep").string(), "bundle", "--version", version, "-o",
                          (out / ("demo-" + version + ".run")).string(), "--repo", vendor.repo().string(),
                          "--update-url", origin->url(), "--json"});
    return Json::parse(r.out, "upkeep bundle --json");
  };
  const Json first = bundle("1.0.0");
  CHECK(first.get_string("latest") == link.string());
  CHECK(version_in(link) == "1.0.0");

  // The next release refreshes it by itself.
  RunResult released = run_ok(vendor.release_argv(vendor.build_folder("2.0.0"), "2.0.0"));
  CHECK(contains(released.out, "latest link " + link.string() + " refreshed"));
  CHECK(version_in(link) == "2.0.0");
  CHECK(read_text(link).size() > 0);
  for (const auto& e : stdfs::directory_iterator(link.parent_path()))  // replaced by rename: no temp file left
    CHECK(e.path().filename().string().rfind(".", 0) != 0);

  // Bundling an older version never takes it back.
  CHECK_FALSE(bundle("1.0.0").contains("latest"));
  CHECK(version_in(link) == "2.0.0");

  // A beta has a link of its own, which leaves the stable one alone.
  vendor.release(vendor.build_folder("3.0.0"), "3.0.0", "", {"--channel", "beta"});
  CHECK(version_in(link) == "2.0.0");
  CHECK(bundle("3.0.0").get_string("latest") ==
        (vendor.repo() / "download" / "demo-beta-latest-linux-x86_64").string());
  CHECK(version_in(link) == "2.0.0");

  // A visitor downloads the link from the website and runs it.
  const std::string url = origin->url() + "download/demo-latest-linux-x86_64";
  CHECK(contains(headers_of(url), "cache-control: no-cache"));
  TempDir visitor;
  const stdfs::path file = visitor / "demo-latest-linux-x86_64";
  run_ok({"/usr/bin/curl", "-sSf", "-o", file.string(), url});
  chmod(file.c_str(), 0755);
  const stdfs::path prefix = visitor / "app";
  run_ok({file.string(), "--prefix", prefix.string(), "--silent", "--no-shortcut"});
  CHECK(stdfs::read_symlink(prefix / "current").string() == "versions/2.0.0");
}
