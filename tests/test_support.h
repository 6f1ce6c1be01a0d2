// Helpers shared by the tests: temporary folders, running real programs and
// capturing their output, paths of the programs under test.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace upkeep::test {

namespace stdfs = std::filesystem;

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const stdfs::path& path() const { return path_; }
  stdfs::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  stdfs::path path_;
};

// The immutable attribute (chattr +i) on a folder while this object lives:
// nothing can be created in, renamed into or removed from it, even by root.
// Tests run as root, where permission bits stop no write; this makes a real
// rename(2) into the folder fail with EPERM. active() is false when the file
// system or the process's privileges do not allow it (the test then skips).
class ImmutableDir {
 public:
  explicit ImmutableDir(const stdfs::path& dir);
  ~ImmutableDir() { release(); }
  ImmutableDir(const ImmutableDir&) = delete;
  ImmutableDir& operator=(const ImmutableDir&) = delete;
  bool active() const { return active_; }
  // Clears the attribute now (idempotent).
  void release();

 private:
  stdfs::path dir_;
  bool active_ = false;
};

// A real, small tmpfs mounted on `dir` (created) for one test, to fill the
// disk for real; unmounted on destruction. mounted() is false where the
// process may not mount (the test then skips, saying error()).
class SmallTmpfs {
 public:
  explicit SmallTmpfs(const stdfs::path& dir, const std::string& size = "64k");
  ~SmallTmpfs();
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  stdfs::path dir_;
  bool mounted_ = false;
  std::string error_;
};

// Path of a program built by this project: "launcher", "mainapp", "upkeep".
stdfs::path program(const std::string& name);
stdfs::path source_dir();

void write_text(const stdfs::path& path, const std::string& text);
std::string read_text(const stdfs::path& path);

// A listening TCP socket on 127.0.0.1 (a free port), close-on-exec; the caller closes it.
int listen_on_loopback(int backlog = 16);

struct RunResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
};

// Runs a program to completion with stdin closed, capturing stdout and
// stderr. `env` entries are added to (or override) the current environment.
RunResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
              const std::optional<std::string>& stdin_text = std::nullopt);

// A long-running program (a server) started in the background. Its stdout
// is a pipe the test reads lines from; stderr is inherited; `env` entries are
// added to the current environment. The destructor sends SIGTERM and reaps it.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // Blocks until a whole line arrives; throws when the program exits first.
  std::string read_line();
  // Sends `sig` (SIGTERM by default), then waits; returns the exit code (128 + signal if killed).
  int stop(int sig = 15);
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
  std::optional<int> exit_code_;
};

// Starts `upkeep serve DIR --port 0` and returns its base URL, "http://127.0.0.1:PORT/".
struct RepoServerProcess {
  explicit RepoServerProcess(const stdfs::path& repo);
  BackgroundProcess process;
  std::string url;
};

}  // namespace upkeep::test
