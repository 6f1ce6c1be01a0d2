// nginx in the foreground for a test, on a listening socket we bound to an
// ephemeral port on 127.0.0.1 and hand over through nginx's own inheritance
// variable (NGINX="fd;", what its binary upgrade uses), so it is reachable the
// moment the test continues: connections queue on the socket until nginx
// accepts. (Inheritance needs the master process; as root the worker runs as
// root so it can read the test's 0700 folders.)
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "test_support.h"

namespace upkeep::test {

class Nginx {
 public:
  // Serves `root`; `server_extra` goes into the server block (locations, auth), `http_extra` into http.
  explicit Nginx(const stdfs::path& root, const std::string& server_extra = "", const std::string& http_extra = "") {
    REQUIRE(stdfs::exists("/usr/sbin/nginx"));  // installed by scripts/setup.sh
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
    write_text(
        dir_ / "nginx.conf",
        std::string(geteuid() == 0 ? "user root;\n" : "") +
            "worker_processes 1;\ndaemon off;\nerror_log stderr warn;\npid " + (dir_ / "nginx.pid").string() +
            ";\nevents {}\nhttp {\n  access_log off;\n  types { application/json json; application/zip zip; }\n" +
            http_extra + "  server {\n    listen 127.0.0.1:" + std::to_string(port_) + ";\n    root " + root.string() +
            ";\n" + server_extra + "  }\n}\n");
    setenv("NGINX", "3;", 1);
    process_ = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{"/usr/sbin/nginx", "-p", dir_.path().string(), "-c", (dir_ / "nginx.conf").string()});
    unsetenv("NGINX");
    close(3);  // nginx holds its own copy
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  int port() const { return port_; }
  // A folder of this server's own (logs, password files).
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace upkeep::test
