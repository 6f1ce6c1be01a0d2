// Helpers shared by the benchmark programs: a monotonic clock, percentiles,
// spawning a program and waiting for it, a scratch folder and --runs parsing.
//
// Header-only, used from main() of one benchmark at a time; nothing here is
// thread-safe. Failures (a child that does not exit 0, a folder that cannot
// be made) throw upkeep::Error naming the program or path.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"

extern char** environ;

namespace upkeep::bench {

namespace stdfs = std::filesystem;

inline double now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Stats {
  double median = 0, p10 = 0, p90 = 0, min = 0;
  size_t n = 0;
};

// Nearest-rank percentiles over a copy of the samples (milliseconds).
inline Stats stats_of(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto at = [&v](double q) {
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
  };
  s.n = v.size();
  s.min = v.front();
  s.p10 = at(0.10);
  s.p90 = at(0.90);
  s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  return s;
}

// Starts argv[0] with the current environment and stdout on /dev/null, waits
// for it, and returns the wall time of spawn + wait in milliseconds. A child
// that does not exit 0 is an error: a benchmark of a failing run means nothing.
inline double time_spawn_wait(const std::vector<std::string>& argv) {
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  double t0 = now_ms();
  pid_t pid = 0;
  int rc = posix_spawn(&pid, cargv[0], &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) fail(ErrorCode::kFailure, "cannot start " + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) fail(ErrorCode::kFailure, "waitpid for " + argv[0] + " failed");
  }
  double t1 = now_ms();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail(ErrorCode::kFailure, argv[0] + " did not exit 0 (status " + std::to_string(status) + ")");
  return t1 - t0;
}

// The build folder: benchmarks are built next to ./launcher and ./mainapp.
inline stdfs::path build_dir() { return fs::self_executable_path().parent_path(); }

// A fresh folder under `base`, removed with everything in it on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const stdfs::path& base, const std::string& prefix) {
    std::string templ = (base / (prefix + "-XXXXXX")).string();
    if (!mkdtemp(templ.data())) fail(ErrorCode::kFailure, "cannot create a folder under " + base.string());
    path_ = templ;
  }
  ~ScratchDir() {
    if (keep_) return;
    std::error_code ec;
    stdfs::remove_all(path_, ec);
  }
  // Leaves the folder in place (for a post-mortem of a failed run).
  void keep() { keep_ = true; }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const stdfs::path& path() const { return path_; }

 private:
  stdfs::path path_;
  bool keep_ = false;
};

// $TMPDIR when set, else /var/tmp (on disk, unlike a tmpfs /tmp).
inline stdfs::path temp_base() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? stdfs::path(t) : stdfs::path("/var/tmp");
}

// Bytes of every regular file below `dir`; 0 when it does not exist.
inline uint64_t tree_bytes(const stdfs::path& dir) {
  uint64_t n = 0;
  if (!stdfs::exists(dir)) return 0;
  for (const auto& e : stdfs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) n += e.file_size();
  return n;
}

// xorshift64*: cheap bytes that do not compress or deduplicate trivially.
struct Prng {
  uint64_t s;
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
  double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }
};

// A file of `bytes` incompressible bytes, the same for the same seed, written
// atomically (its folders made).
inline void write_random_file(const stdfs::path& p, uint64_t bytes, uint64_t seed) {
  std::string data(bytes, '\0');
  Prng rng{seed * 0x9E3779B97F4A7C15ull + 1};
  for (size_t i = 0; i + 8 <= data.size(); i += 8) {
    const uint64_t v = rng.next();
    std::memcpy(&data[i], &v, 8);
  }
  fs::create_directories_durable(p.parent_path());
  fs::write_file_atomic(p, data);
}

inline double load_average_1min() {
  double l[1] = {0};
  return getloadavg(l, 1) == 1 ? l[0] : -1;
}

// main() of a benchmark: runs `run` on the arguments through run_command() (command_line.h): --help,
// a usage error as one line and exit 2, any other error as "name: message" with its exit code.
inline int main_of(const char* name, int (*run)(const std::vector<std::string>&), int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return run_command(name, args, [&] { return run(args); });  // --help, usage errors (2), failures
}

}  // namespace upkeep::bench
