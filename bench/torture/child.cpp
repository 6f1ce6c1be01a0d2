#include "child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "error.h"

extern char** environ;

namespace upkeep::torture {

namespace {

Exit exit_of(int status) {
  if (WIFSIGNALED(status)) return {128 + WTERMSIG(status), true};
  return {WEXITSTATUS(status), false};
}

std::vector<std::string> merged_environment(const Env& extra) {
  Env all;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) all[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) all[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : all) out.push_back(k + "=" + v);
  return out;
}

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
  // Everything the child needs is prepared before fork: no allocation after it.
  std::vector<std::string> envs = merged_environment(env);
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : envs) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (in < 0 || out < 0 || err < 0) fail(ErrorCode::kFailure, "torture: cannot open the output files of " + argv[0]);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(127);
  }
  ::close(in);
  ::close(out);
  ::close(err);
  if (pid_ < 0) fail(ErrorCode::kFailure, "torture: fork failed: " + std::string(std::strerror(errno)));
  ::setpgid(pid_, pid_);  // also from the parent, so kill(-pid) works at once
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) fail(ErrorCode::kFailure, "torture: pidfd_open failed: " + std::string(std::strerror(errno)));
}

Child::~Child() {
  if (!exit_) {
    kill(true);
    wait();
  }
  if (pidfd_ >= 0) ::close(pidfd_);
}

std::optional<Exit> Child::wait_for(std::chrono::microseconds timeout) {
  if (exit_) return exit_;
  pollfd p{pidfd_, POLLIN, 0};
  timespec ts{static_cast<time_t>(timeout.count() / 1000000), static_cast<long>((timeout.count() % 1000000) * 1000)};
  int rc;
  do {
    rc = ::ppoll(&p, 1, &ts, nullptr);
  } while (rc < 0 && errno == EINTR);
  if (rc == 0) return std::nullopt;
  return wait();
}

Exit Child::wait() {
  if (exit_) return *exit_;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) fail(ErrorCode::kFailure, "torture: waitpid failed: " + std::string(std::strerror(errno)));
  }
  exit_ = exit_of(status);
  return *exit_;
}

void Child::kill(bool whole_group) {
  if (exit_) return;
  ::kill(whole_group ? -pid_ : pid_, SIGKILL);
}

Ran run_to_end(const std::vector<std::string>& argv, const Env& env, const std::filesystem::path& scratch) {
  auto out = scratch / "run.out", err = scratch / "run.err";
  Ran r;
  {
    Child c(argv, env, out, err);
    r.exit = c.wait();
  }
  r.out = read_file_or_empty(out);
  r.err = read_file_or_empty(err);
  return r;
}

void enable_subreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
    fail(ErrorCode::kFailure, "torture: cannot become a child subreaper: " + std::string(std::strerror(errno)));
  // SIGCHLD stays blocked so reap_descendants() can wait for it with a deadline.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
}

bool reap_descendants(std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  for (;;) {
    int status = 0;
    pid_t p = ::waitpid(-1, &status, WNOHANG);
    if (p > 0) continue;
    if (p < 0 && errno == ECHILD) return true;
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::seconds(0)) {
      kill_children();
      while (::waitpid(-1, &status, 0) > 0) {
      }
      return false;
    }
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    ::sigtimedwait(&set, nullptr, &ts);  // woken by the next child's end
  }
}

std::string read_file_or_empty(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace upkeep::torture
