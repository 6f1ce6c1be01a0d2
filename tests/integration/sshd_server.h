// A real OpenSSH sshd for a test (Debian's openssh-server): on 127.0.0.1 at
// a free port, with a throwaway host key, its own sshd_config (no PAM, no
// strict modes, authorized keys in the test's folder, the internal SFTP
// server), in the foreground. Ready when it answers with its SSH banner
// (polled up to a deadline). The client key it accepts is client_key().
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "free_port.h"
#include "release_fixture.h"
#include "test_support.h"

namespace upkeep::test {

// A key pair made by ssh-keygen: `path` (private, 0600) and `path`.pub.
inline void ssh_keygen(const stdfs::path& path) {
  run_ok({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "upkeep-test", "-f", path.string()});
}

class Sshd {
 public:
  explicit Sshd(const std::string& extra_config = "") {
    REQUIRE(stdfs::exists("/usr/sbin/sshd"));  // openssh-server, scripts/setup.sh
    ssh_keygen(dir_ / "host_key");
    ssh_keygen(dir_ / "client_key");
    stdfs::copy_file(dir_ / "client_key.pub", dir_ / "authorized_keys");
    std::error_code ec;
    stdfs::create_directories("/run/sshd", ec);  // sshd's privilege separation folder must exist
    port_ = free_loopback_port();
    write_text(dir_ / "sshd_config", "ListenAddress 127.0.0.1:" + std::to_string(port_) + "\nHostKey " +
                                         (dir_ / "host_key").string() + "\nPidFile " + (dir_ / "sshd.pid").string() +
                                         "\nUsePAM no\nStrictModes no\nAuthorizedKeysFile " +
                                         (dir_ / "authorized_keys").string() +
                                         "\nPermitRootLogin yes\nPasswordAuthentication yes\n"
                                         "KbdInteractiveAuthentication no\nSubsystem sftp internal-sftp\n"
                                         "LogLevel ERROR\n" +
                                         extra_config);
    process_ = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{"/usr/sbin/sshd", "-D", "-e", "-f", (dir_ / "sshd_config").string()});
    wait_for_banner();
  }

  int port() const { return port_; }
  stdfs::path client_key() const { return dir_ / "client_key"; }
  // "[127.0.0.1]:PORT ssh-ed25519 AAAA…": the known_hosts line of this server's host key.
  std::string known_hosts_line() const { return host_pattern() + " " + public_key(dir_ / "host_key.pub"); }
  // The same host with another key: what a changed (or impostor's) host key looks like to the client.
  std::string other_known_hosts_line() const {
    ssh_keygen(dir_ / "other_key");
    return host_pattern() + " " + public_key(dir_ / "other_key.pub");
  }
  // sftp://USER@127.0.0.1:PORT/<absolute folder>/
  std::string url(const stdfs::path& folder, const std::string& user = "root") const {
    return "sftp://" + user + "@127.0.0.1:" + std::to_string(port_) + folder.string() + "/";
  }
  // A credentials entry for this server: {"ssh": {...}, "known_hosts": FILE}.
  std::string entry(const std::string& ssh, const stdfs::path& known_hosts) const {
    return "\"sftp://127.0.0.1:" + std::to_string(port_) + "/\": {\"ssh\": " + ssh + ", \"known_hosts\": \"" +
           known_hosts.string() + "\"}";
  }
  std::string key_json(const stdfs::path& key, const std::string& user = "root") const {
    return "{\"user\": \"" + user + "\", \"key_file\": \"" + key.string() + "\"}";
  }

 private:
  std::string host_pattern() const { return "[127.0.0.1]:" + std::to_string(port_); }
  static std::string public_key(const stdfs::path& pub) {
    const std::string line = read_text(pub);
    const auto second_space = line.find(' ', line.find(' ') + 1);
    return line.substr(0, second_space);  // "type base64", without the comment
  }
  // Connects until the server answers "SSH-2.0-…", for at most 10 s.
  void wait_for_banner() const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (banner_answered()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling interval, not a synchronisation
    }
    FAIL("sshd did not answer on port " << port_ << " within 10 s");
  }
  bool banner_answered() const {
    const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    bool ok = false;
    if (connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      pollfd p{s, POLLIN, 0};
      char buf[8] = {0};
      ok = poll(&p, 1, 2000) == 1 && recv(s, buf, 4, MSG_WAITALL) == 4 && std::string(buf, 4) == "SSH-";
      const char ident[] = "SSH-2.0-upkeep-test-probe\r\n";  // a polite goodbye: sshd logs no error for it
      if (ok) send(s, ident, sizeof ident - 1, MSG_NOSIGNAL);
    }
    close(s);
    return ok;
  }

  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace upkeep::test
