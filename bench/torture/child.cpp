#include "child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "upkeep/base/error.h"

namespace upkeep::torture {

namespace {

// A file the child writes its output to; closed in the harness once the child has it.
class OutputFile {
 public:
  explicit OutputFile(const std::filesystem::path& p)
      : fd_(::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) {
    if (fd_ < 0) fail(ErrorCode::kFailure, "torture: cannot open " + p.string() + ": " + std::strerror(errno));
  }
  ~OutputFile() { ::close(fd_); }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// SIGKILL to every process whose parent is this one (after a missed deadline).
void kill_children() {
  const pid_t self = ::getpid();
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    std::string stat = read_file_or_empty(e.path() / "stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == self) ::kill(std::stoi(e.path().filename().string()), SIGKILL);
  }
}

}  // namespace

Child::Child(const std::vector<std::string>& argv, const Env& env, const std::filesystem::path& out_file,
             const std::filesystem::path& err_file) {
  OutputFile out(out_file), err(err_file);
  process::SpawnOptions o;
  o.argv = argv;
  o.env = process::current_environment();
  for (const auto& [k, v] : env) o.env[k] = v;
  o.own_process_group = true;
  o.stdin_null = true;
  o.output_fd = out.fd();
  o.error_fd = err.fd();
  pid_ = process::spawn(o);
}

Child::~Child() {
  if (!exit_) {
    kill(true);
    wait();
  }
}

std::optional<Exit> Child::wait_for(std::chrono::microseconds timeout) {
  if (exit_ || process::wait_for_exit(pid_, timeout)) return wait();
  return std::nullopt;
}

Exit Child::wait() {
  if (!exit_) exit_ = process::wait_child(pid_);
  return *exit_;
}

void Child::kill(bool whole_group) {
  if (exit_) return;
  if (whole_group)
    process::kill_group(pid_, true);
  else
    process::kill_hard(pid_);
}

Ran run_to_end(const std::vector<std::string>& argv, const Env& env, const std::filesystem::path& scratch) {
  auto out = scratch / "run.out", err = scratch / "run.err";
  Ran r;
  r.exit = Child(argv, env, out, err).wait();
  r.out = read_file_or_empty(out);
  r.err = read_file_or_empty(err);
  return r;
}

void enable_subreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
    fail(ErrorCode::kFailure, "torture: cannot become a child subreaper: " + std::string(std::strerror(errno)));
}

bool reap_descendants(std::chrono::seconds limit) {
  // SIGCHLD is blocked only while waiting here (children started elsewhere
  // inherit a clean mask); one that ended before is found by waitpid below.
  sigset_t chld, before;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, &before);
  auto deadline = std::chrono::steady_clock::now() + limit;
  bool all_ended = true;
  for (;;) {
    int status = 0;
    pid_t p = ::waitpid(-1, &status, WNOHANG);
    if (p > 0) continue;
    if (p < 0 && errno == ECHILD) break;
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::seconds(0)) {
      kill_children();
      while (::waitpid(-1, &status, 0) > 0) {
      }
      all_ended = false;
      break;
    }
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    ::sigtimedwait(&chld, nullptr, &ts);  // woken by the next child's end
  }
  ::sigprocmask(SIG_SETMASK, &before, nullptr);
  return all_ended;
}

std::string read_file_or_empty(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace upkeep::torture
