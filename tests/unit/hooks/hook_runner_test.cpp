// HookRunner with real shell scripts as hooks: the contract (argv, cwd,
// stdin, environment), outcomes, the time limit that ends the whole process
// group, and the bounded, printable output tail.
#include "upkeep/hooks/hook_runner.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "test_support.h"

using upkeep::HookContext;
using upkeep::HookKind;
using upkeep::HookResult;
using upkeep::HookRunner;
using upkeep::HookRunState;
using upkeep::HookSpec;
using upkeep::test::read_text;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;

namespace {

// A version folder with one executable hook script.
struct HookFolder {
  explicit HookFolder(const std::string& body, uint32_t mode = 0755) {
    write_text(dir / "bin" / "hook", "#!/bin/sh\n" + body);
    stdfs::permissions(dir / "bin" / "hook", static_cast<stdfs::perms>(mode));
  }
  HookResult run(HookKind kind = HookKind::kUpdate, int64_t timeout_seconds = 30, size_t tail = 4096) const {
    HookContext context{"/install/root", dir.path(), "2.0.0", "1.0.0"};
    return HookRunner(tail).run(HookSpec{kind, "bin/hook", timeout_seconds}, context);
  }
  TempDir dir;
};

// True when process `pid` has ended (or ends within `limit`): waits on a process handle, no polling.
bool ends_within(pid_t pid, std::chrono::milliseconds limit) {
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;
  pollfd p{fd, POLLIN, 0};
  int rc = poll(&p, 1, static_cast<int>(limit.count()));
  close(fd);
  return rc == 1;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a hook gets its argv, working directory, null stdin and environment, output is captured", "[hooks]") {
  HookFolder f(
      "echo \"argv: $0 $1\"\n"
      "echo \"cwd: $(pwd)\"\n"
      "read line; echo \"stdin: [$line] $?\"\n"
      "echo \"env: $UPKEEP_HOOK $UPKEEP_ROOT $UPKEEP_VERSION ${UPKEEP_PREVIOUS_VERSION-none}\"\n"
      "echo \"trial: ${UPKEEP_TRIAL-none} ${UPKEEP_HEALTH_FD-none}\"\n"
      "echo \"inherited: $HOOK_TEST_VALUE\"\n"
      "echo 'to stderr' >&2\n");
  // The caller's environment passes through, the launcher's trial variables do not.
  setenv("HOOK_TEST_VALUE", "passed", 1);
  setenv("UPKEEP_TRIAL", "1", 1);
  setenv("UPKEEP_HEALTH_FD", "7", 1);
  HookResult r = f.run(HookKind::kUpdate);
  HookResult install = f.run(HookKind::kInstall);
  unsetenv("HOOK_TEST_VALUE");
  unsetenv("UPKEEP_TRIAL");
  unsetenv("UPKEEP_HEALTH_FD");

  INFO(r.output);
  CHECK(r.state == HookRunState::kSucceeded);
  CHECK(r.succeeded());
  CHECK(r.exit_code == 0);
  CHECK(r.detail == "exit code 0");
  const std::string dir = stdfs::canonical(f.dir.path()).string();
  CHECK(r.output == "argv: " + (f.dir.path() / "bin" / "hook").string() + " update\n" + "cwd: " + dir + "\n" +
                        "stdin: [] 1\n" + "env: update /install/root 2.0.0 1.0.0\n" + "trial: none none\n" +
                        "inherited: passed\n" + "to stderr\n");
  // Only update hooks get UPKEEP_PREVIOUS_VERSION.
  CHECK(contains(install.output, "argv: " + (f.dir.path() / "bin" / "hook").string() + " install\n"));
  CHECK(contains(install.output, "env: install /install/root 2.0.0 none\n"));
}

TEST_CASE("a hook that exits non-zero or dies of a signal has failed, one that cannot start too", "[hooks]") {
  HookResult exit3 = HookFolder("echo failing; exit 3\n").run();
  CHECK(exit3.state == HookRunState::kFailed);
  CHECK_FALSE(exit3.succeeded());
  CHECK(exit3.exit_code == 3);
  CHECK(exit3.detail == "exit code 3");
  CHECK(exit3.output == "failing\n");

  HookResult crashed = HookFolder("kill -SEGV $$\n").run();
  CHECK(crashed.state == HookRunState::kFailed);
  CHECK(crashed.exit_code == 128 + SIGSEGV);
  CHECK(contains(crashed.detail, "killed by signal 11"));

  HookResult not_executable = HookFolder("exit 0\n", 0644).run();
  CHECK(not_executable.state == HookRunState::kFailed);
  CHECK(contains(not_executable.detail, "cannot start"));
  CHECK(contains(not_executable.detail, "Permission denied"));
}

TEST_CASE("a hook past its time limit is ended with its whole process group, a TERM-ignoring child included",
          "[hooks]") {
  // The child ignores SIGTERM and says when it is ready through a FIFO, so
  // the limit surely finds it running.
  HookFolder f(
      "mkfifo ready\n"
      "sh -c 'trap \"\" TERM; echo $$ > child.pid; echo > ready; exec sleep 300' &\n"
      "read x < ready\n"
      "echo 'child ready'\n"
      "sleep 300\n");
  auto start = std::chrono::steady_clock::now();
  HookResult r = f.run(HookKind::kUpdate, 2);
  auto took = std::chrono::steady_clock::now() - start;
  INFO(r.output << r.detail);
  pid_t child = static_cast<pid_t>(std::stol(read_text(f.dir / "child.pid")));
  bool child_ended = ends_within(child, std::chrono::seconds(10));
  if (!child_ended) kill(child, SIGKILL);

  CHECK(r.state == HookRunState::kTimedOut);
  CHECK(r.detail == "still running after its 2 s time limit (its process group was killed)");
  CHECK(r.output == "child ready\n");
  CHECK(child_ended);
  // The limit, plus at most the grace before the hard kill: not the hook's 300 s.
  CHECK(took < std::chrono::seconds(8));
}

TEST_CASE("what a hook leaves running in its process group when it exits is ended too", "[hooks]") {
  HookFolder f(
      "mkfifo ready\n"
      "sh -c 'echo $$ > left.pid; echo > ready; exec sleep 300' &\n"
      "read x < ready\n"
      "echo done\n");
  HookResult r = f.run();
  pid_t left = static_cast<pid_t>(std::stol(read_text(f.dir / "left.pid")));
  bool ended = ends_within(left, std::chrono::seconds(10));
  if (!ended) kill(left, SIGKILL);
  CHECK(r.state == HookRunState::kSucceeded);
  CHECK(r.output == "done\n");
  CHECK(ended);
}

TEST_CASE("only the last bytes of a hook's output are kept, as printable UTF-8", "[hooks]") {
  HookFolder f(
      "i=0\n"
      "while [ $i -lt 3000 ]; do echo \"line $i of a long output\"; i=$((i + 1)); done\n"
      "printf 'bell\\007 \\303\\251t\\303\\251 \\377\\n'\n"
      "echo last line\n");
  HookResult r = f.run(HookKind::kInstall, 30, 1024);
  CHECK(r.state == HookRunState::kSucceeded);
  CHECK(r.output.size() <= 1024);
  CHECK(r.output.size() > 900);
  CHECK_FALSE(contains(r.output, "line 0 of"));
  CHECK(contains(r.output, "line 2999 of a long output\nbell? \xc3\xa9t\xc3\xa9 ?\nlast line\n"));
}

TEST_CASE("printable_utf8 keeps text, tabs, newlines and valid UTF-8, and marks everything else", "[hooks]") {
  using upkeep::printable_utf8;
  CHECK(printable_utf8("plain\ttext\n") == "plain\ttext\n");
  CHECK(printable_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  CHECK(printable_utf8("\x1b[31mred\r\n") == "?[31mred?\n");
  CHECK(printable_utf8(std::string("a\0b", 3)) == "a?b");
  CHECK(printable_utf8("\xff\xfe") == "??");
  CHECK(printable_utf8("\xc0\xaf") == "??");            // overlong '/'
  CHECK(printable_utf8("\xed\xa0\x80") == "???");       // a surrogate
  CHECK(printable_utf8("\xf4\x90\x80\x80") == "????");  // above U+10FFFF
  CHECK(printable_utf8("cut \xe2\x82") == "cut ??");    // a sequence cut by the tail
  CHECK(printable_utf8("\x82\xac rest") == "?? rest");
}
