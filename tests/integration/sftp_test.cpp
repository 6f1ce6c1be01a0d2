// sftp:// repositories against a real sshd (sshd_server.h): install and
// update with key authentication, host keys checked against known_hosts,
// refused credentials (exit 15), a resumed download, password
// authentication, and the uploads `upkeep watch` uses.
#include <pwd.h>
#include <sys/stat.h>

#include <fstream>

#include "release_fixture.h"
#include "sshd_server.h"
#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/net/credential_store.h"
#include "upkeep/net/fetcher_factory.h"
#include "upkeep/net/sftp_session.h"

using namespace upkeep;
using namespace upkeep::test;

namespace {

constexpr int kVerificationExit = 5;
constexpr int kCredentialsExit = 15;

stdfs::path secret_file(const stdfs::path& path, const std::string& text) {
  write_text(path, text);
  REQUIRE(chmod(path.c_str(), 0600) == 0);
  return path;
}

std::vector<std::string> install_argv(const std::string& url, const stdfs::path& prefix, const VendorRepo& vendor,
                                      const stdfs::path& credentials) {
  return {program("upkeep").string(),
          "install",
          "--repo",
          url,
          "--prefix",
          prefix.string(),
          "--trusted-root",
          vendor.root_json().string(),
          "--credentials",
          credentials.string()};
}

// An sshd, a repository with 1.0.0, and a credentials file with the client key and the right known_hosts.
struct SftpRepo {
  VendorRepo vendor;
  const bool released = (vendor.release(vendor.build_folder("1.0.0"), "1.0.0"), true);
  Sshd sshd;
  TempDir dir;
  stdfs::path known_hosts = (write_text(dir / "known_hosts", sshd.known_hosts_line() + "\n"), dir / "known_hosts");
  std::string url = sshd.url(vendor.repo());
  stdfs::path credentials(const std::string& ssh, const stdfs::path& hosts) const {
    return secret_file(dir / "credentials.json", "{" + sshd.entry(ssh, hosts) + "}");
  }
  stdfs::path credentials() const { return credentials(sshd.key_json(sshd.client_key()), known_hosts); }
};

}  // namespace

TEST_CASE("sftp: install and update from an sftp:// repository with key authentication", "[sftp][integration]") {
  SftpRepo s;
  const stdfs::path root = s.dir / "app";
  run_ok(install_argv(s.url, root, s.vendor, s.credentials()));
  CHECK(stdfs::read_symlink(root / "current") == "versions/1.0.0");
  CHECK(Config::load(root / "config.json").repository_url == s.url);

  s.vendor.release(s.vendor.build_folder("2.0.0"), "2.0.0");
  RunResult r = run({(root / "demo").string(), "--exit-after-check", "--ui", "terminal"}, {}, std::string("y\n"));
  INFO(r.out << r.err);
  CHECK(contains(r.out, "version 2.0.0 downloaded, verified and staged"));
  CHECK(stdfs::read_symlink(root / "current") == "versions/2.0.0");
}

TEST_CASE("sftp: an unknown or changed host key is refused (exit 5), never learnt", "[sftp][integration]") {
  SftpRepo s;
  SECTION("unknown: known_hosts does not list the server") {
    write_text(s.dir / "empty_hosts", "");
    RunResult r = run(install_argv(s.url, s.dir / "app", s.vendor,
                                   s.credentials(s.sshd.key_json(s.sshd.client_key()), s.dir / "empty_hosts")));
    INFO(r.out << r.err);
    CHECK(r.exit_code == kVerificationExit);
    CHECK(contains(r.err, "refused: unknown host key: sftp://root@127.0.0.1:" + std::to_string(s.sshd.port()) +
                              " shows ssh-ed25519 key SHA256:"));
    CHECK(read_text(s.dir / "empty_hosts").empty());  // nothing learnt
  }
  SECTION("changed: known_hosts lists another key for it") {
    write_text(s.dir / "other_hosts", s.sshd.other_known_hosts_line() + "\n");
    RunResult r = run(install_argv(s.url, s.dir / "app", s.vendor,
                                   s.credentials(s.sshd.key_json(s.sshd.client_key()), s.dir / "other_hosts")));
    INFO(r.out << r.err);
    CHECK(r.exit_code == kVerificationExit);
    CHECK(contains(r.err, "refused: host key changed"));
  }
  CHECK(!stdfs::exists(s.dir / "app" / "config.json"));
}

TEST_CASE("sftp: a key the server does not accept, or none, is exit 15", "[sftp][integration]") {
  SftpRepo s;
  ssh_keygen(s.dir / "stranger_key");
  RunResult r = run(install_argv(s.url, s.dir / "app", s.vendor,
                                 s.credentials(s.sshd.key_json(s.dir / "stranger_key"), s.known_hosts)));
  INFO(r.out << r.err);
  CHECK(r.exit_code == kCredentialsExit);
  CHECK(contains(r.err, "refused SSH authentication (the credentials configured for it were refused)"));

  write_text(s.dir / "none.json", "{}");
  chmod((s.dir / "none.json").c_str(), 0600);
  RunResult n = run(install_argv(s.url, s.dir / "app", s.vendor, s.dir / "none.json"));
  INFO(n.out << n.err);
  CHECK(n.exit_code == kCredentialsExit);
  CHECK(contains(n.err, "(no credentials are configured for it)"));
}

TEST_CASE("sftp: a download resumes its .part from the offset, and get and get_if_exists", "[sftp][integration]") {
  SftpRepo s;
  net::FetchOptions opts = net::with_credentials_file(s.credentials());
  auto fetcher = net::make_fetcher(opts);
  const stdfs::path pkg = s.vendor.package_file("1.0.0");
  const std::string bytes = read_text(pkg);
  const std::string sha = sha256_hex(bytes);
  const std::string url = "sftp://127.0.0.1:" + std::to_string(s.sshd.port()) + pkg.string();

  CHECK(fetcher->get(s.url + "metadata/1.root.json", 1 << 20) == read_text(s.vendor.root_json()));
  CHECK(!fetcher->get_if_exists(s.url + "metadata/404.root.json", 1 << 20));
  CHECK_THROWS_AS(fetcher->get(s.url + "metadata/1.root.json", 10), Error);  // more than the cap

  const size_t half = bytes.size() / 2;
  write_text(s.dir / "pkg.zip.part", bytes.substr(0, half));
  auto result = fetcher->download(url, s.dir / "pkg.zip", bytes.size(), sha, nullptr);
  CHECK(result.resumed);
  CHECK(result.bytes_transferred == bytes.size() - half);  // only the rest was read
  CHECK(read_text(s.dir / "pkg.zip") == bytes);

  // A .part that is not a prefix of the file: the hash check refuses it and deletes it.
  write_text(s.dir / "bad.zip.part", std::string(half, 'x'));
  CHECK_THROWS_WITH(fetcher->download(url, s.dir / "bad.zip", bytes.size(), sha, nullptr),
                    Catch::Contains("SHA-256 mismatch"));
  CHECK(!stdfs::exists(s.dir / "bad.zip.part"));
  // The whole file from zero, on the same session.
  result = fetcher->download(url, s.dir / "bad.zip", bytes.size(), sha, nullptr);
  CHECK(!result.resumed);
  CHECK(result.bytes_transferred == bytes.size());
}

TEST_CASE("sftp: uploads write whole files under their name, creating folders", "[sftp][integration]") {
  SftpRepo s;
  const auto store = net::CredentialStore::load(s.credentials());
  const std::string base = s.sshd.url(s.dir / "upload");
  net::SftpSession session(net::UrlOrigin::parse(base), store.find(base), {});
  const std::string dir = (s.dir / "upload" / "metadata" / "sub").string();
  session.mkdir_p(dir);
  session.mkdir_p(dir);  // again: fine
  CHECK(stdfs::is_directory(dir));

  session.write_file(dir + "/timestamp.json", "{\"v\": 1}", 0644);
  CHECK(read_text(stdfs::path(dir) / "timestamp.json") == "{\"v\": 1}");
  session.write_file(dir + "/timestamp.json", "{\"v\": 2}");  // over an existing file
  CHECK(read_text(stdfs::path(dir) / "timestamp.json") == "{\"v\": 2}");
  CHECK((stdfs::status(stdfs::path(dir) / "timestamp.json").permissions() & stdfs::perms::mask) ==
        (stdfs::perms::owner_read | stdfs::perms::owner_write | stdfs::perms::group_read | stdfs::perms::others_read));

  const std::string big(300 * 1024 + 17, 'b');
  write_text(s.dir / "big.bin", big);
  session.upload_file(s.dir / "big.bin", dir + "/big.bin");
  CHECK(read_text(stdfs::path(dir) / "big.bin") == big);
  auto info = session.stat(dir + "/big.bin");
  REQUIRE(info);
  CHECK(info->size == big.size());
  CHECK(!session.stat(dir + "/none"));
  session.remove(dir + "/big.bin");
  session.remove(dir + "/big.bin");  // a missing file is fine
  CHECK(!stdfs::exists(stdfs::path(dir) / "big.bin"));
  for (const auto& e : stdfs::directory_iterator(dir))  // no temporary file left behind
    CHECK(e.path().filename().string().find("upkeep-tmp") == std::string::npos);
}

namespace {

// A throwaway local user with a password, removed on destruction; sshd checks the password against
// /etc/shadow itself (UsePAM no).
struct ThrowawayUser {
  std::string name = "upkeepsftp" + std::to_string(getpid());
  bool made = run({"/usr/sbin/useradd", "-M", "-d", "/nonexistent", "-s", "/bin/sh", name}).exit_code == 0 &&
              run({"/usr/sbin/chpasswd"}, {}, name + ":pw-Sftp-42\n").exit_code == 0;
  ~ThrowawayUser() { run({"/usr/sbin/userdel", name}); }
};

}  // namespace

TEST_CASE("sftp: password authentication, right and wrong", "[sftp][integration]") {
  if (geteuid() != 0) {
    WARN("not run: useradd needs root");
    return;
  }
  ThrowawayUser user;
  REQUIRE(user.made);
  SftpRepo s;
  const stdfs::path shared = s.dir / "shared";
  stdfs::create_directories(shared);
  write_text(shared / "hello.txt", "hello");
  chmod(s.dir.path().c_str(), 0755);  // the user must reach it ($TMPDIR itself is open to all)
  chmod(shared.c_str(), 0755);
  chmod((shared / "hello.txt").c_str(), 0644);
  auto fetch = [&](const std::string& password) {
    const auto creds = secret_file(
        s.dir / "pw.json",
        "{" + s.sshd.entry("{\"user\": \"" + user.name + "\", \"password\": \"" + password + "\"}", s.known_hosts) +
            "}");
    return net::make_fetcher(net::with_credentials_file(creds))->get(s.sshd.url(shared, user.name) + "hello.txt", 100);
  };
  CHECK(fetch("pw-Sftp-42") == "hello");
  try {
    fetch("pw-wrong");
    FAIL("a wrong password was accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kCredentials);
    CHECK(!contains(e.what(), "pw-wrong"));
  }
}

TEST_CASE("sftp: a server that accepts and never answers is given up after the connect timeout",
          "[sftp][integration]") {
  const int listener = listen_on_loopback();  // the kernel completes the connection; no banner ever comes
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string origin = "sftp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  net::FetchOptions opts;
  opts.connect_timeout = std::chrono::seconds(1);
  opts.credentials = std::make_shared<const net::CredentialStore>(net::CredentialStore::parse(
      "{\"" + origin + "\": {\"ssh\": {\"user\": \"u\", \"key_file\": \"/nonexistent\"}}}", "creds.json"));
  const auto started = std::chrono::steady_clock::now();
  try {
    net::make_fetcher(opts)->get(origin + "srv/repo/metadata/timestamp.json", 1000);
    FAIL("a silent server was accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kNetwork);
    CHECK(contains(e.what(), "cannot connect"));
  }
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
  close(listener);
}
