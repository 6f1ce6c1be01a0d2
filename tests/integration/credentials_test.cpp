// Repositories behind credentials (docs/admin-guide.md "Repositories behind
// credentials, and SFTP"): a real nginx asks for HTTP basic authentication or
// a bearer token; upkeep install, the app's own check and upkeep-updater get
// through with the right credentials and stop with exit 15 otherwise.
#include <sys/stat.h>

#include "nginx_server.h"
#include "release_fixture.h"

using namespace upkeep::test;

namespace {

constexpr const char* kUser = "fleet";
constexpr const char* kPassword = "correct-horse-7";
constexpr int kCredentialsExit = 15;

// One htpasswd line, its hash made by openssl.
std::string htpasswd_line(const std::string& user, const std::string& password) {
  RunResult r = run_ok({"/usr/bin/openssl", "passwd", "-apr1", password});
  return user + ":" + r.out.substr(0, r.out.find('\n')) + "\n";
}

// nginx's auth_basic over the whole repository, with `user`/`password` the one account.
std::string auth_basic(const TempDir& dir) {
  write_text(dir / "htpasswd", htpasswd_line(kUser, kPassword));
  return "    auth_basic \"upkeep repository\";\n    auth_basic_user_file " + (dir / "htpasswd").string() + ";\n";
}

std::string basic_json(const std::string& url, const std::string& password) {
  return "{\"" + url + "\": {\"basic\": {\"user\": \"" + kUser + "\", \"password\": \"" + password + "\"}}}\n";
}

stdfs::path secret_file(const stdfs::path& path, const std::string& text, mode_t mode = 0600) {
  write_text(path, text);
  REQUIRE(chmod(path.c_str(), mode) == 0);
  return path;
}

std::vector<std::string> install_argv(const std::string& url, const stdfs::path& prefix, const VendorRepo& vendor,
                                      const std::vector<std::string>& extra) {
  std::vector<std::string> argv{
      program("upkeep").string(), "install", "--repo", url, "--prefix", prefix.string(), "--trusted-root",
      vendor.root_json().string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

RunResult check_now(const stdfs::path& root) {
  return run({(root / "upkeep-updater").string(), "--root", root.string(), "--check-now", "--quiet"});
}

// Every file below `dir` as one string (the logs).
std::string all_text(const stdfs::path& dir) {
  std::string s;
  for (const auto& e : stdfs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) s += read_text(e.path());
  return s;
}

// 1.0.0 released, behind nginx's auth_basic.
struct BasicAuthRepo {
  VendorRepo vendor;
  const bool released = (vendor.release(vendor.build_folder("1.0.0"), "1.0.0"), true);
  TempDir dir;
  Nginx nginx{vendor.repo(), auth_basic(dir)};
};

}  // namespace

TEST_CASE("credentials: install and update through nginx auth_basic, and refused credentials are exit 15",
          "[credentials][nginx][integration]") {
  BasicAuthRepo repo;
  VendorRepo& vendor = repo.vendor;
  const TempDir& dir = repo.dir;
  const Nginx& nginx = repo.nginx;
  const stdfs::path creds = secret_file(dir / "creds.json", basic_json(nginx.url(), kPassword));
  const stdfs::path root = dir / "app";
  run_ok(install_argv(nginx.url(), root, vendor, {"--credentials", creds.string(), "--version", "1.0.0"}));
  // The copy for the updates is private; config.json holds no secret.
  REQUIRE(stdfs::exists(root / "credentials.json"));
  CHECK((stdfs::status(root / "credentials.json").permissions() & stdfs::perms::mask) ==
        (stdfs::perms::owner_read | stdfs::perms::owner_write));
  CHECK(!contains(read_text(root / "config.json"), kPassword));

  // The app's own check (AppUpdater) reads <root>/credentials.json.
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  RunResult r = run({(root / "demo").string(), "--exit-after-check", "--ui", "terminal"}, {}, std::string("y\n"));
  INFO(r.out << r.err);
  CHECK(contains(r.out, "version 2.0.0 downloaded, verified and staged"));
  CHECK(stdfs::read_symlink(root / "current") == "versions/2.0.0");

  vendor.release(vendor.build_folder("3.0.0"), "3.0.0");
  const std::string good = read_text(root / "credentials.json");
  auto refused = [&](const std::string& message) {
    RunResult c = check_now(root);
    INFO(c.out << c.err);
    CHECK(c.exit_code == kCredentialsExit);
    CHECK(contains(c.err, message));
    // Neither the password nor the header's value, in the output or the logs.
    CHECK(!contains(c.out + c.err + all_text(root / "logs"), "wrong-battery-9"));
    CHECK(!contains(c.out + c.err + all_text(root / "logs"), kPassword));
    CHECK(!contains(c.out + c.err + all_text(root / "logs"), "Basic "));
  };
  // A wrong password: exit 15 at once (no retry).
  secret_file(root / "credentials.json", basic_json(nginx.url(), "wrong-battery-9"));
  refused("refused: credentials: " + nginx.url() + "metadata/");
  refused("answered 401 Unauthorized (the credentials configured for it were refused)");
  // None.
  stdfs::remove(root / "credentials.json");
  refused("answered 401 Unauthorized (no credentials are configured for it)");
  // The right ones in a file others may read: refused, naming the mode and the fix.
  secret_file(root / "credentials.json", good, 0644);
  refused("mode 0644 lets other users read or change it, expected 0600 or stricter (fix: chmod 600 " +
          (root / "credentials.json").string() + ")");
  // And made private: staged.
  REQUIRE(chmod((root / "credentials.json").c_str(), 0600) == 0);
  RunResult c = check_now(root);
  INFO(c.out << c.err);
  CHECK(c.exit_code == 0);
  CHECK(stdfs::is_directory(root / "staging" / "3.0.0"));
}

TEST_CASE("credentials: upkeep install refused by nginx or by the file's mode exits 15 and installs nothing",
          "[credentials][nginx][integration]") {
  BasicAuthRepo repo;
  const stdfs::path logs = repo.dir / "logs";  // --silent writes the whole log there
  auto refused = [&](const std::vector<std::string>& extra, const std::string& message) {
    const stdfs::path root = repo.dir / "app";
    std::vector<std::string> argv = install_argv(repo.nginx.url(), root, repo.vendor, extra);
    argv.insert(argv.end(), {"--silent", "--log", (logs / "install.log").string()});
    RunResult r = run(argv);
    INFO(r.out << r.err);
    CHECK(r.exit_code == kCredentialsExit);
    CHECK(contains(r.err, message));
    CHECK(!stdfs::exists(root / "config.json"));
    REQUIRE(stdfs::is_directory(logs));
    const std::string said = r.out + r.err + all_text(logs);
    CHECK(!contains(said, "wrong-battery-9"));
    CHECK(!contains(said, kPassword));
    CHECK(!contains(said, "Basic "));  // nor the header's value
  };
  refused(
      {"--credentials", secret_file(repo.dir / "wrong.json", basic_json(repo.nginx.url(), "wrong-battery-9")).string()},
      "answered 401 Unauthorized (the credentials configured for it were refused)");
  refused({}, "answered 401 Unauthorized (no credentials are configured for it)");
  refused(
      {"--credentials", secret_file(repo.dir / "loose.json", basic_json(repo.nginx.url(), kPassword), 0644).string()},
      "mode 0644 lets other users read or change it, expected 0600 or stricter (fix: chmod 600 ");
  // Credentials for another origin (another port) are not sent.
  refused(
      {"--credentials", secret_file(repo.dir / "other.json", basic_json("http://127.0.0.1:1/", kPassword)).string()},
      "(no credentials are configured for it)");
}

TEST_CASE("credentials: a bearer token checked by nginx", "[credentials][nginx][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  TempDir dir;
  Nginx nginx(vendor.repo(), "    if ($http_authorization != \"Bearer tok-5e1f\") { return 401; }\n");
  auto bearer = [&](const std::string& token) {
    return secret_file(dir / "bearer.json", "{\"" + nginx.url() + "\": {\"bearer\": \"" + token + "\"}}");
  };
  RunResult bad = run(install_argv(nginx.url(), dir / "a", vendor, {"--credentials", bearer("tok-wrong").string()}));
  INFO(bad.out << bad.err);
  CHECK(bad.exit_code == kCredentialsExit);
  CHECK(contains(bad.err, "(the credentials configured for it were refused)"));
  CHECK(!contains(bad.err, "tok-wrong"));
  run_ok(install_argv(nginx.url(), dir / "b", vendor, {"--credentials", bearer("tok-5e1f").string()}));
  CHECK(stdfs::read_symlink(dir / "b" / "current") == "versions/1.0.0");
}

TEST_CASE("credentials: a redirect to another origin does not carry the Authorization header",
          "[credentials][nginx][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  TempDir dir;
  const std::string log_format = "  log_format auth '$request_uri [$http_authorization]';\n";
  // B serves the targets to anyone and records what each request carried.
  Nginx b(vendor.repo(), "    access_log " + (dir / "b.log").string() + " auth;\n", log_format);
  // A wants credentials and sends the targets to B.
  Nginx a(vendor.repo(),
          auth_basic(dir) + "    access_log " + (dir / "a.log").string() + " auth;\n" +
              "    location /targets/ { return 302 http://127.0.0.1:" + std::to_string(b.port()) + "$request_uri; }\n",
          log_format);
  const stdfs::path creds = secret_file(dir / "creds.json", basic_json(a.url(), kPassword));
  run_ok(install_argv(a.url(), dir / "app", vendor, {"--credentials", creds.string()}));
  CHECK(stdfs::read_symlink(dir / "app" / "current") == "versions/1.0.0");

  const std::string at_a = read_text(dir / "a.log"), at_b = read_text(dir / "b.log");
  INFO("A:\n" << at_a << "B:\n" << at_b);
  CHECK(contains(at_a, "/metadata/timestamp.json [Basic "));  // A got the credentials
  CHECK(contains(at_a, "/targets/"));                         // and redirected the targets
  CHECK(contains(at_b, "/targets/demo/1.0.0/"));              // which B served
  CHECK(!contains(at_b, "Basic"));                            // with no Authorization header
  CHECK(contains(at_b, "[-]"));                               // nginx's word for an empty header
}
