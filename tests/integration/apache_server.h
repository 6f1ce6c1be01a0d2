// Apache httpd in the foreground (-X) for a test, serving a folder with the
// modules a static repository needs (mime, headers, authz) and `extra` in
// its configuration, on a free port of 127.0.0.1: httpd cannot take a
// listening socket from us as nginx does, so the port is found free, closed
// and named in Listen, and the test waits (with a deadline) until httpd
// accepts there. As root it serves as www-data, so the folder is opened
// to it (0755).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "test_support.h"

namespace upkeep::test {

class Apache {
 public:
  Apache(const stdfs::path& docroot, const std::string& extra) {
    REQUIRE(stdfs::exists("/usr/sbin/apache2"));  // installed by scripts/setup.sh
    port_ = free_port();
    stdfs::permissions(dir_.path(), stdfs::perms(0755));
    stdfs::permissions(docroot, stdfs::perms(0755));
    const std::string m = "/usr/lib/apache2/modules/";
    std::string conf = "ServerRoot " + dir_.path().string() + "\nServerName localhost\nPidFile " +
                       (dir_ / "httpd.pid").string() + "\nListen 127.0.0.1:" + std::to_string(port_) + "\nErrorLog " +
                       (dir_ / "error.log").string() + "\nLoadModule mpm_event_module " + m +
                       "mod_mpm_event.so\nLoadModule authz_core_module " + m +
                       "mod_authz_core.so\nLoadModule mime_module " + m + "mod_mime.so\nLoadModule headers_module " +
                       m + "mod_headers.so\nTypesConfig /etc/mime.types\n";
    if (geteuid() == 0) conf += "User www-data\nGroup www-data\n";
    conf += "DocumentRoot " + docroot.string() + "\n<Directory " + docroot.string() +
            ">\n  Require all granted\n</Directory>\n" + extra;
    write_text(dir_ / "httpd.conf", conf);
    process_ = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{"/usr/sbin/apache2", "-X", "-f", (dir_ / "httpd.conf").string()});
    wait_until_accepting();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  std::string error_log() const { return stdfs::exists(dir_ / "error.log") ? read_text(dir_ / "error.log") : ""; }

 private:
  static int free_port() {
    const int s = listen_on_loopback();
    sockaddr_in a{};
    socklen_t len = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    close(s);
    return ntohs(a.sin_port);
  }
  bool accepts() const {
    const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(s);
    return ok;
  }
  void wait_until_accepting() const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!accepts()) {
      INFO("httpd error log:\n" << error_log());
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a real condition, with a deadline
    }
  }

  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace upkeep::test
