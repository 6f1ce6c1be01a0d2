// `upkeep watch` as a real process on a real build folder: bursts of
// hundreds of files in nested folders, a renamed folder, folders made after
// the start, deletions, excluded files; each release checked in the
// published copy with upkeep-tuf-client (signatures, then files.json).
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "release_fixture.h"
#include "sshd_server.h"
#include "upkeep/base/json.h"
#include "upkeep/install/manifest.h"
#include "upkeep/tuf/role_names.h"

using namespace upkeep;
using namespace upkeep::test;
using namespace std::chrono_literals;

namespace {

constexpr auto kDebounce = 700ms;

// The next stdout line of `p`, or a failed test after `limit` (the program is killed then).
std::string line_within(BackgroundProcess& p, std::chrono::seconds limit = 60s) {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  bool killed = false;
  std::thread guard([&] {
    std::unique_lock<std::mutex> lock(m);
    if (!cv.wait_for(lock, limit, [&] { return done; })) {
      killed = true;
      kill(p.pid(), SIGKILL);
    }
  });
  auto finish = [&] {
    {
      std::lock_guard<std::mutex> lock(m);
      done = true;
    }
    cv.notify_all();
    guard.join();
  };
  std::string line;
  try {
    line = p.read_line();
  } catch (const std::exception& e) {
    finish();
    FAIL((killed ? "no line within the deadline: " : "") << e.what());
  }
  finish();
  return line;
}

Json event_of(BackgroundProcess& p) {
  const std::string line = line_within(p);
  INFO("line: " << line);
  return Json::parse(line, "upkeep watch --json line");
}

struct WatchFixture {
  VendorRepo vendor;
  stdfs::path build = vendor.dir() / "build";
  stdfs::path www = vendor.dir() / "www";
  TempDir client;

  WatchFixture() {
    write_text(build / "mainapp", "#!/bin/sh\necho demo\n");
    chmod((build / "mainapp").c_str(), 0755);
  }

  std::vector<std::string> watch_argv(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> argv{program("upkeep").string(),
                                  "watch",
                                  build.string(),
                                  "--keys",
                                  vendor.keys().string(),
                                  "--repo",
                                  vendor.repo().string(),
                                  "--debounce",
                                  std::to_string(kDebounce.count()),
                                  "--no-delta",
                                  "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  // The files.json of `version` as upkeep-tuf-client fetched and verified it from `url`.
  FileManifest published_manifest(const std::string& url, const std::string& version) {
    const std::string tool = program("upkeep-tuf-client").string();
    const stdfs::path md = client / "metadata";
    if (!stdfs::exists(md / "root.json"))
      run_ok({tool, "--metadata-dir", md.string(), "init", vendor.root_json().string()});
    run_ok({tool, "--metadata-dir", md.string(), "--metadata-url", url + "metadata", "refresh"});
    const std::string name = "demo/" + version + "/linux-x86_64/files.json";
    run_ok({tool, "--metadata-dir", md.string(), "--metadata-url", url + "metadata", "--target-name", name,
            "--target-base-url", url + "targets", "--target-dir", (client / "targets").string(), "download"});
    return FileManifest::parse(read_text(client / "targets" / tuf::safe_file_name(name)));
  }

  // The paths of the build folder as they are now.
  std::set<std::string> build_paths() const {
    std::set<std::string> out;
    for (const auto& e : stdfs::recursive_directory_iterator(build))
      if (!e.is_directory()) out.insert(stdfs::relative(e.path(), build).string());
    return out;
  }
};

std::set<std::string> paths_of(const FileManifest& m) {
  std::set<std::string> out;
  for (const auto& f : m.files()) out.insert(f.path);
  return out;
}

// Writes `count` files below `dir` in nested folders (d<i%5>/e<i%3>/f<i>.txt).
void write_burst(const stdfs::path& dir, int count, const std::string& content) {
  for (int i = 0; i < count; ++i)
    write_text(dir / ("d" + std::to_string(i % 5)) / ("e" + std::to_string(i % 3)) / ("f" + std::to_string(i) + ".txt"),
               content + std::to_string(i) + "\n");
}

// The next event that is not a failure: after a failed round the watch
// retries on its own, and may fail again before the test fixed the cause.
Json next_success(BackgroundProcess& p) {
  for (int i = 0;; ++i) {
    Json e = event_of(p);
    if (e.get_string("event") != "failed" || i == 5) return e;
  }
}

void check_released(const Json& e, const std::string& version) {
  INFO(e.dump(0));
  REQUIRE(e.get_string("event") == "released");
  CHECK(e.get_string("version") == version);
}

}  // namespace

TEST_CASE("upkeep watch: bursts, renames, new folders, deletions and excluded files, each release published whole",
          "[watch]") {
  WatchFixture f;
  BackgroundProcess watch(f.watch_argv(
      {"--version", "1.0.0", "--publish", f.www.string(), "--exclude", "scratch/**", "--exclude", "**/*.tmp"}));
  Json ready = event_of(watch);
  REQUIRE(ready.get_string("event") == "watching");

  // Three bursts of 100 files, each well within the quiet period of the last: one release.
  for (int burst = 0; burst < 3; ++burst) {
    write_burst(f.build / ("burst" + std::to_string(burst)), 100, "v1 ");
    if (burst < 2) std::this_thread::sleep_for(kDebounce / 4);  // the build's own pace, not a synchronisation
  }
  Json first = event_of(watch);
  check_released(first, "1.0.0");
  CHECK(first.get_int("files") == 301);
  CHECK(first.get_int("changed") == 301);
  RepoServerProcess server(f.www);
  CHECK(paths_of(f.published_manifest(server.url, "1.0.0")) == f.build_paths());

  // A renamed folder, a folder made after the start with a file in it at once, deleted files.
  stdfs::rename(f.build / "burst1", f.build / "renamed");
  stdfs::create_directories(f.build / "late" / "x" / "y");
  write_text(f.build / "late" / "x" / "y" / "new.txt", "new\n");
  stdfs::remove(f.build / "burst0" / "d0" / "e0" / "f0.txt");
  stdfs::remove_all(f.build / "burst2" / "d1");
  Json second = event_of(watch);
  check_released(second, "1.0.1");
  CHECK(paths_of(f.published_manifest(server.url, "1.0.1")) == f.build_paths());

  // Writes into the renamed folder and the new one: their watches follow them.
  write_text(f.build / "renamed" / "d2" / "e2" / "after.txt", "after\n");
  write_text(f.build / "late" / "x" / "y" / "more.txt", "more\n");
  Json third = event_of(watch);
  check_released(third, "1.0.2");
  CHECK(third.get_int("changed") == 2);

  // Excluded files alone start no release: watched for three quiet periods,
  // then one included change releases them with it.
  write_text(f.build / "scratch" / "deep" / "tmp.dat", "scratch\n");
  write_text(f.build / "renamed" / "obj.tmp", "tmp\n");
  const std::string timestamp = read_text(f.www / "metadata" / "timestamp.json");
  std::this_thread::sleep_for(kDebounce * 3);  // the window in which nothing may happen
  CHECK(read_text(f.www / "metadata" / "timestamp.json") == timestamp);
  write_text(f.build / "sentinel.txt", "s\n");
  Json fourth = event_of(watch);
  check_released(fourth, "1.0.3");
  CHECK(fourth.get_int("changed") == 3);

  // A bad build (an absolute link) fails and is reported; the watch goes on and releases the fixed one.
  stdfs::create_symlink("/etc/passwd", f.build / "escape");
  Json failed = event_of(watch);
  INFO(failed.dump(0));
  CHECK(failed.get_string("event") == "failed");
  CHECK(failed.get_string("handler") == "release");
  CHECK(failed.at("error").get_int("code") == static_cast<int64_t>(ErrorCode::kBadInput));
  CHECK(failed.at("error").get_string("name") == "bad_input");
  stdfs::remove(f.build / "escape");
  write_text(f.build / "fixed.txt", "the build fixed\n");
  Json fixed = next_success(watch);
  check_released(fixed, "1.0.4");
  CHECK(paths_of(f.published_manifest(server.url, "1.0.4")) == f.build_paths());

  CHECK(watch.stop(SIGTERM) == 0);  // a clean stop
}

TEST_CASE("upkeep watch --once: one release after the first quiet period, then exit 0", "[watch]") {
  WatchFixture f;
  BackgroundProcess watch(f.watch_argv({"--once"}));
  REQUIRE(event_of(watch).get_string("event") == "watching");
  write_burst(f.build / "data", 40, "x");
  Json e = event_of(watch);
  check_released(e, "0.0.1");
  CHECK(watch.stop(SIGTERM) == 0);
  RepoServerProcess server(f.vendor.repo());
  CHECK(paths_of(f.published_manifest(server.url, "0.0.1")) == f.build_paths());
}

TEST_CASE("upkeep watch --exec: the command runs after each release, a failure is retried without a change",
          "[watch]") {
  WatchFixture f;
  const stdfs::path log = f.vendor.dir() / "exec.log";
  const stdfs::path fail_flag = f.vendor.dir() / "fail";
  write_text(fail_flag, "3");
  const std::string command = "echo \"$UPKEEP_WATCH_VERSION $UPKEEP_WATCH_REPO\" >> '" + log.string() +
                              "'; exit $(cat '" + fail_flag.string() + "')";
  BackgroundProcess watch(f.watch_argv({"--exec", command}));
  REQUIRE(event_of(watch).get_string("event") == "watching");
  write_text(f.build / "a.txt", "a\n");
  Json failed = event_of(watch);
  INFO(failed.dump(0));
  REQUIRE(failed.get_string("event") == "failed");
  CHECK(failed.get_string("handler") == "exec");
  CHECK(failed.get_string("version") == "0.0.1");  // released; only the command failed
  CHECK(failed.at("error").get_string("message").find("exit code 3") != std::string::npos);
  write_text(fail_flag, "0");
  Json retried = next_success(watch);  // after the backoff, no change needed
  INFO(retried.dump(0));
  CHECK(retried.get_string("event") == "unchanged");
  CHECK(retried.get_string("version") == "0.0.1");
  const std::string lines = read_text(log);
  const std::string one = "0.0.1 " + f.vendor.repo().string() + "\n";
  CHECK(lines.size() >= 2 * one.size());
  CHECK(lines.substr(0, one.size()) == one);
  CHECK(lines.substr(lines.size() - one.size()) == one);
  CHECK(watch.stop(SIGINT) == 0);
}

TEST_CASE("upkeep watch: the inotify watch limit reached is an error naming the limit", "[watch]") {
  WatchFixture f;
  for (int i = 0; i < 40; ++i) stdfs::create_directories(f.build / ("dir" + std::to_string(i)));
  // A user namespace of its own with a limit of 20 watches: the machine's limit stays as it is.
  const std::string probe = "echo 20 > /proc/sys/user/max_inotify_watches";
  if (run({"/usr/bin/unshare", "-Ur", "/bin/sh", "-c", probe}).exit_code != 0) {
    WARN("skipped: cannot make a user namespace with its own inotify limit here (unshare -Ur)");
    return;
  }
  std::string argv;
  for (const auto& a : f.watch_argv({"--once"})) argv += " '" + a + "'";
  RunResult r = run({"/usr/bin/unshare", "-Ur", "/bin/sh", "-c", probe + " && exec" + argv});
  INFO(r.out << r.err);
  CHECK(r.exit_code == static_cast<int>(ErrorCode::kFailure));
  CHECK(r.err.find("/proc/sys/fs/inotify/max_user_watches is ") != std::string::npos);
  CHECK(r.err.find("/proc/sys/user/max_inotify_watches is 20") != std::string::npos);
  CHECK(r.out.find("{\"error\":{\"code\":1,") != std::string::npos);  // --json: the failure as JSON too

  // Room for the tree at the start (41 folders), not for the folders made later: the watch stops with the error.
  std::vector<std::string> limited{"/usr/bin/unshare", "-Ur", "/bin/sh", "-c",
                                   "echo 45 > /proc/sys/user/max_inotify_watches && exec" + argv};
  BackgroundProcess watch(limited);
  REQUIRE(event_of(watch).get_string("event") == "watching");
  for (int i = 0; i < 10; ++i) stdfs::create_directories(f.build / ("later" + std::to_string(i)));
  Json failed = event_of(watch);  // the watch's own end: the failure object of every upkeep command
  INFO(failed.dump(0));
  CHECK(failed.at("error").get_int("code") == static_cast<int>(ErrorCode::kFailure));
  CHECK(failed.at("error").get_string("message").find("max_inotify_watches is 45") != std::string::npos);
  CHECK(watch.stop() == static_cast<int>(ErrorCode::kFailure));
}

TEST_CASE("upkeep watch: usage errors", "[watch]") {
  WatchFixture f;
  auto inside = run(f.watch_argv({"--publish", (f.build / "www").string()}));
  CHECK(inside.exit_code == 2);
  CHECK(inside.out.find("inside the watched folder") != std::string::npos);
  CHECK(run(f.watch_argv({"--exclude", "/abs"})).exit_code == 2);
  CHECK(run({program("upkeep").string(), "watch"}).exit_code == 2);
  CHECK(run({program("upkeep").string(), "watch", "--help"}).exit_code == 0);
}

namespace {

// --once --publish sftp://...www --credentials FILE: the client key, and `known_hosts_line` as what the client trusts.
std::vector<std::string> sftp_publish(const Sshd& sshd, const TempDir& dir, const std::string& known_hosts_line,
                                      const stdfs::path& www) {
  write_text(dir / "known_hosts", known_hosts_line + "\n");
  const stdfs::path credentials = dir / "credentials.json";
  write_text(credentials, "{" + sshd.entry(sshd.key_json(sshd.client_key()), dir / "known_hosts") + "}");
  REQUIRE(chmod(credentials.c_str(), 0600) == 0);
  return {"--once", "--publish", sshd.url(www), "--credentials", credentials.string()};
}

}  // namespace

TEST_CASE("upkeep watch --publish sftp://: each release is uploaded whole to an SFTP server", "[watch][sftp]") {
  WatchFixture f;
  Sshd sshd;
  TempDir remote;
  const stdfs::path www = remote / "srv" / "updates";  // made by the upload
  BackgroundProcess watch(f.watch_argv(sftp_publish(sshd, remote, sshd.known_hosts_line(), www)));
  REQUIRE(event_of(watch).get_string("event") == "watching");
  write_burst(f.build / "data", 30, "s");
  const Json e = event_of(watch);
  check_released(e, "0.0.1");
  CHECK(watch.stop(SIGTERM) == 0);
  // What the server now holds is the repository, whole, and verifies as a client reads it.
  RepoServerProcess server(www);
  CHECK(paths_of(f.published_manifest(server.url, "0.0.1")) == f.build_paths());
  for (const auto& entry : stdfs::recursive_directory_iterator(www)) {
    INFO(entry.path());
    CHECK(entry.path().filename().string().find(".upkeep-") == std::string::npos);  // no temporary file left
  }
}

TEST_CASE("upkeep watch --publish sftp:// with a host key not in known_hosts publishes nothing", "[watch][sftp]") {
  WatchFixture f;
  Sshd sshd;
  TempDir remote;
  const stdfs::path www = remote / "www";
  BackgroundProcess watch(f.watch_argv(sftp_publish(sshd, remote, sshd.other_known_hosts_line(), www)));
  REQUIRE(event_of(watch).get_string("event") == "watching");
  write_burst(f.build / "data", 5, "k");
  const Json e = event_of(watch);
  CHECK(e.get_string("event") == "failed");
  CHECK(e.at("error").get_int("code") == 5);
  CHECK(e.at("error").get_string("message").find("host key") != std::string::npos);
  std::string rest;  // --once ends after the failed round...
  try {
    for (;;) rest += watch.read_line() + "\n";
  } catch (const std::exception&) {
  }
  INFO("after the failure: " << rest);
  CHECK(rest.find("released") == std::string::npos);
  CHECK(watch.stop(SIGTERM) == 5);  // ...with its code
  CHECK_FALSE(stdfs::exists(www));
}
