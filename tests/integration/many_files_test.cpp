// Many files (issue #17): a release of thousands of small files is staged
// with one durable pass per version, not one fsync per file, through the
// real updater and launcher, with the durable order kept (a crash before
// that pass leaves nothing recorded as staged); and removing an old version
// of thousands of files never keeps the launcher alive after the
// application ends: clean-up moves it into the trash and a detached
// `launcher --upkeep-empty-trash` deletes it later.
#include <poll.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "invariants.h"
#include "release_fixture.h"
#include "upkeep/platform/install_lock.h"

using namespace upkeep::test;

namespace {

// Enough files that an fsync each (or a delete in the launcher) shows, few enough for the default suite.
constexpr int kManyFiles = 5000;

// kManyFiles small files under data/, 100 per folder.
void add_many_files(const stdfs::path& build) {
  for (int i = 0; i < kManyFiles; ++i) {
    stdfs::path dir = build / "data" / ("d" + std::to_string(i / 100));
    if (i % 100 == 0) stdfs::create_directories(dir);
    std::ofstream(dir / ("f" + std::to_string(i) + ".txt")) << "file " << i << "\n";
  }
}

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += "  " + l + "\n";
  return s;
}

// Waits on inotify (no polling) until `path` is gone; false when `limit` passes first.
bool wait_until_gone(const stdfs::path& path, std::chrono::seconds limit) {
  int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  REQUIRE(fd >= 0);
  REQUIRE(inotify_add_watch(fd, path.parent_path().c_str(), IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF) >= 0);
  auto deadline = std::chrono::steady_clock::now() + limit;
  bool gone = true;
  while (stdfs::exists(path)) {  // checked after the watch is in place: no event is missed
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      gone = !stdfs::exists(path);
      break;
    }
    char buf[4096];
    while (read(fd, buf, sizeof buf) > 0) {
    }
  }
  close(fd);
  return gone;
}

// The one entry in <root>/trash whose name starts with `prefix` ("" when none).
stdfs::path trash_entry(const stdfs::path& root, const std::string& prefix) {
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(root / "trash", ec))
    if (e.path().filename().string().rfind(prefix, 0) == 0) return e.path();
  return {};
}

size_t regular_files_below(const stdfs::path& dir) {
  size_t n = 0;
  for (const auto& e : stdfs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) ++n;
  return n;
}

// The fsync-family calls of one traced run (strace -o file), by name.
std::map<std::string, int> sync_calls(const stdfs::path& trace) {
  std::map<std::string, int> n;
  std::istringstream in(read_text(trace));
  for (std::string line; std::getline(in, line);)
    for (const char* call : {"fsync(", "fdatasync(", "syncfs("})
      if (line.find(std::string(" ") + call) != std::string::npos) ++n[call];
  return n;
}

}  // namespace

TEST_CASE("a release of thousands of files is staged with one sync, and a crash before it records nothing",
          "[many_files][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  stdfs::path build = vendor.build_folder("2.0.0");
  add_many_files(build);
  vendor.release(build, "2.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");

  // Killed once every file is written, before the one sync: nothing is staged.
  stdfs::path steps = app.dir / "steps";
  RunResult crashed = run({app.launcher().string(), "--upkeep-check-now", "--version"},
                          {{"UPKEEP_CRASH_AT", "stage.written"}, {"UPKEEP_TRACE_STEPS", steps.string()}});
  INFO("crash run\nstdout:\n" << crashed.out << "\nstderr:\n" << crashed.err);
  REQUIRE(contains(read_text(steps), "stage.written\n"));
  CHECK(contains(crashed.err, "the update check failed (exit 137)"));
  CHECK(crashed.out == "mainapp 1.0.0\n");
  CHECK(app.state_of("2.0.0").empty());
  CHECK_FALSE(stdfs::exists(app.prefix() / "staging" / "2.0.0"));

  // Again, traced: staged and applied, every file there, and durable with a handful of syncs, not one per file.
  stdfs::path trace = app.dir / "strace.txt";
  RunResult r = run({"/usr/bin/strace", "-f", "-qq", "--seccomp-bpf", "-o", trace.string(), "-e",
                     "trace=fsync,fdatasync,syncfs", app.launcher().string(), "--upkeep-check-now", "--version"});
  INFO("second run\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "mainapp 2.0.0\n");
  auto calls = sync_calls(trace);
  INFO("fsync " << calls["fsync("] << ", fdatasync " << calls["fdatasync("] << ", syncfs " << calls["syncfs("]);
  CHECK(calls["syncfs("] >= 1);
  CHECK(calls["fsync("] + calls["fdatasync("] < 200);  // SQLite commits, renames, small files: not per file
  CHECK(regular_files_below(app.prefix() / "versions" / "2.0.0" / "data") == kManyFiles);
  auto problems = check_invariants(app.prefix(), {{"2.0.0"}, true, true});  // every file hashed against its manifest
  INFO("invariants violated:\n" << joined(problems));
  CHECK(problems.empty());
}

TEST_CASE("the launcher ends with the application while an old version of thousands of files is deleted after it",
          "[many_files][integration]") {
  VendorRepo vendor;
  stdfs::path build = vendor.build_folder("1.0.0");
  add_many_files(build);
  vendor.release(build, "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");
  run_ok({app.launcher().string(), "--upkeep-check-now", "--version"});  // 1.0.0 stays: 2.0.0's rollback target
  REQUIRE(app.current() == "versions/2.0.0");
  vendor.release(vendor.build_folder("3.0.0"), "3.0.0");

  // The test holds the trash's lock, so the deletion cannot start before the
  // launcher ends: what is still in the trash then was not deleted by it.
  auto trash_lock = upkeep::InstallLock::acquire(app.prefix() / ".trash.lock", std::chrono::seconds(5));
  BackgroundProcess launcher({app.launcher().string(), "--upkeep-check-now", "--version"});
  CHECK(launcher.read_line() == "mainapp 3.0.0");  // the application's last words
  auto app_done = std::chrono::steady_clock::now();
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, launcher.pid(), 0));
  REQUIRE(pidfd >= 0);
  pollfd p{pidfd, POLLIN, 0};
  REQUIRE(poll(&p, 1, 30000) == 1);  // the launcher ended
  double delay = std::chrono::duration<double>(std::chrono::steady_clock::now() - app_done).count();
  close(pidfd);
  CHECK(launcher.stop() == 0);
  INFO("the launcher ended " << delay << " s after the application's output");
  CHECK(delay < 2.0);

  // 1.0.0 is out of versions/ and recorded removed; its files wait in the trash.
  CHECK_FALSE(stdfs::exists(app.prefix() / "versions" / "1.0.0"));
  CHECK(app.state_of("1.0.0") == "removed");
  stdfs::path old = trash_entry(app.prefix(), "1.0.0.");
  REQUIRE_FALSE(old.empty());
  CHECK(regular_files_below(old / "data") == kManyFiles);

  // The detached emptier, waiting for the lock, deletes them once it is free.
  auto emptying = std::chrono::steady_clock::now();
  trash_lock.release();
  CHECK(wait_until_gone(old, std::chrono::seconds(240)));
  INFO("deleted in " << std::chrono::duration<double>(std::chrono::steady_clock::now() - emptying).count() << " s");
  CHECK(contains(read_text(app.prefix() / "logs" / "launcher.log"), "emptying the trash in the background (pid "));
  auto problems = check_invariants(app.prefix(), {{"3.0.0"}, true, true});
  INFO("invariants violated:\n" << joined(problems));
  CHECK(problems.empty());
}

TEST_CASE("a delete the trash did not finish is finished after the next start that cleans up",
          "[many_files][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");
  // What an emptier killed half-way leaves: part of a tree.
  stdfs::path left = app.prefix() / "trash" / "0.9.0.12345";
  stdfs::create_directories(left / "data" / "d1");
  write_text(left / "data" / "d1" / "f1.txt", "half deleted\n");
  write_text(app.prefix() / ".pending", "");  // the next start takes the slow path, which cleans up

  RunResult r = run_ok({app.launcher().string(), "--version"});
  CHECK(r.out == "mainapp 1.0.0\n");
  CHECK(wait_until_gone(left, std::chrono::seconds(60)));
}
