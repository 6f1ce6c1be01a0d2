// The repository is plain files: nginx serves it and the whole update path
// works against it exactly as against `upkeep serve`.
#include "nginx_server.h"
#include "release_fixture.h"

using namespace upkeep::test;

TEST_CASE("nginx serving the repository: install, update, and a tampered file refused", "[nginx][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  Nginx nginx(vendor.repo());
  Installed app(nginx.url(), vendor.root_json(), "1.0.0");

  RunResult r = run({app.launcher().string(), "--exit-after-check", "--ui", "terminal"}, {}, std::string("y\n"));
  INFO(r.out << r.err);
  CHECK(contains(r.out, "version 2.0.0 downloaded, verified and staged"));
  CHECK(contains(r.out, "mainapp 2.0.0 running"));
  CHECK(app.current() == "versions/2.0.0");

  vendor.release(vendor.build_folder("3.0.0"), "3.0.0");
  auto pkg = vendor.package_file("3.0.0");
  std::string bytes = read_text(pkg);
  bytes[100] ^= 0x01;
  write_text(pkg, bytes);
  RunResult t = run({app.launcher().string(), "--exit-after-check", "--ui", "terminal"}, {}, std::string("y\n"));
  INFO(t.out << t.err);
  CHECK(contains(t.out, "update failed"));
  CHECK(app.current() == "versions/2.0.0");
  CHECK(app.state_of("3.0.0").empty());
}
