// The repository is plain files: nginx serves it and the whole update path
// works against it exactly as against `upkeep serve`.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "release_fixture.h"

using namespace upkeep::test;

namespace {

// nginx in the foreground, on a listening socket we bound to an ephemeral
// port on 127.0.0.1 and hand over through nginx's own inheritance variable
// (NGINX="fd;", what its binary upgrade uses), so it is reachable the moment
// the test continues: connections queue on the socket until nginx accepts.
// (Inheritance needs the master process; as root the worker runs as root so
// it can read the test's 0700 folders.)
class Nginx {
 public:
  explicit Nginx(const stdfs::path& root) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(s >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(s, 64) == 0);
    socklen_t len = sizeof addr;
    getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (s != 3) {
      REQUIRE(dup2(s, 3) == 3);
      close(s);
    }
    stdfs::create_directories(dir_ / "logs");
    write_text(dir_ / "nginx.conf",
               std::string(geteuid() == 0 ? "user root;\n" : "") +
                   "worker_processes 1;\ndaemon off;\nerror_log stderr warn;\npid " + (dir_ / "nginx.pid").string() +
                   ";\nevents {}\nhttp {\n  access_log off;\n  types { application/json json; application/zip zip; }\n"
                   "  server {\n    listen 127.0.0.1:" +
                   std::to_string(port_) + ";\n    root " + root.string() + ";\n  }\n}\n");
    setenv("NGINX", "3;", 1);
    process_ = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{"/usr/sbin/nginx", "-p", dir_.path().string(), "-c", (dir_ / "nginx.conf").string()});
    unsetenv("NGINX");
    close(3);  // nginx holds its own copy
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace

TEST_CASE("nginx serving the repository: install, update, and a tampered file refused", "[nginx][integration]") {
  REQUIRE(stdfs::exists("/usr/sbin/nginx"));  // installed by scripts/setup.sh
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
