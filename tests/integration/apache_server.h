// Apache httpd in the foreground (-X) for a test, serving a folder with the
// modules a static repository needs (mime, headers, authz) and `extra` in
// its configuration, on a free port of 127.0.0.1: httpd cannot take a
// listening socket from us as nginx does, so the port is found free, closed
// and named in Listen, and the test waits (with a deadline) until httpd
// accepts there. As root it serves as www-data, so the folder is opened
// to it (0755).
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "free_port.h"
#include "test_support.h"

namespace upkeep::test {

class Apache {
 public:
  Apache(const stdfs::path& docroot, const std::string& extra) {
    REQUIRE(stdfs::exists("/usr/sbin/apache2"));  // installed by scripts/setup.sh
    port_ = free_loopback_port();
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
    wait_until_accepting(port_, [this] { return error_log(); });
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  std::string error_log() const { return stdfs::exists(dir_ / "error.log") ? read_text(dir_ / "error.log") : ""; }

 private:
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace upkeep::test
