// How the launcher starts an app that is not mainapp: its options all take
// the prefix --upkeep- and everything else reaches the app verbatim, with
// stdin; a check on start waits at most its deadline; a user who cannot
// write the root (a per-machine install, a read-only mount) starts and
// reads the status without an error; the app holds the .running lock;
// rollbacks go only to versions whose files check out.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "script_app_fixture.h"
#include "upkeep/install/applier.h"
#include "upkeep/platform/process.h"

using namespace upkeep::test;

namespace {

// Prints its version, its arguments one per line between brackets, and stdin.
const char* kEcho = "echo \"$V\"\nfor a in \"$@\"; do echo \"[$a]\"; done\ncat\n";

// Runs `argv` as the unprivileged user 65534 (nobody), without supplementary groups.
RunResult run_as_nobody(std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
  return run(argv);
}

// Lets every user into the temporary folder that holds the install (mkdtemp makes it 0700).
void open_to_all_users(const stdfs::path& dir) {
  stdfs::permissions(dir, stdfs::perms::owner_all | stdfs::perms::group_read | stdfs::perms::group_exec |
                              stdfs::perms::others_read | stdfs::perms::others_exec);
}

// A folder bind-mounted read-only onto itself while this lives; mounted() false where the process may not mount.
class ReadOnlyMount {
 public:
  explicit ReadOnlyMount(const stdfs::path& dir) : dir_(dir) {
    if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0) return;
    bound_ = true;
    mounted_ = ::mount(nullptr, dir.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) == 0;
  }
  ~ReadOnlyMount() {
    if (bound_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  stdfs::path dir_;
  bool bound_ = false;
  bool mounted_ = false;
};

}  // namespace

TEST_CASE("the app receives --help, --version, --status and -- verbatim, and stdin, on the fast path and on trial",
          "[launcher_start][integration]") {
  ScriptApp a;
  a.install("1.0.0", kEcho, "exit");
  const std::vector<std::string> args{"--help", "--version", "--status", "--", "--upkeep-status", "two words"};
  std::vector<std::string> argv{a.launcher()};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string expected = "[--help]\n[--version]\n[--status]\n[--]\n[--upkeep-status]\n[two words]\ninput\n";
  RunResult fast = run_ok(argv, {}, "input\n");
  CHECK(fast.out == "1.0.0\n" + expected);

  a.update("2.0.0", kEcho, "exit", {"--from-the-release"});  // the release's own arguments come first
  RunResult trial = run_ok(argv, {}, "input\n");
  CHECK(trial.out == "2.0.0\n[--from-the-release]\n" + expected);
  CHECK(a.state_of("2.0.0") == "good");
}

TEST_CASE("the launcher's own options: help, version, and one line for a usage error",
          "[launcher_start][integration]") {
  ScriptApp a;
  a.install("1.0.0", kEcho, "exit");
  RunResult help = run_ok({a.launcher(), "--upkeep-help"});
  for (const char* option : {"--upkeep-check-now", "--upkeep-after-pid", "--upkeep-status", "--upkeep-json",
                             "--upkeep-rollback", "--upkeep-help", "--upkeep-version", "--upkeep-handover"})
    CHECK(contains(help.out, option));
  CHECK(run_ok({a.launcher(), "--upkeep-version"}).out == "upkeep launcher " UPKEEP_VERSION_STRING "\n");

  RunResult unknown = run({a.launcher(), "--upkeep-bogus", "x"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.out.empty());
  CHECK(unknown.err == "launcher: unknown option '--upkeep-bogus' (launcher --upkeep-help lists the options)\n");
  RunResult json_alone = run({a.launcher(), "--upkeep-json"});
  CHECK(json_alone.exit_code == 2);
  CHECK(json_alone.err == "launcher: --upkeep-json goes with --upkeep-status\n");
  RunResult bad_pid = run({a.launcher(), "--upkeep-after-pid", "x1"});
  CHECK(bad_pid.exit_code == 2);
  CHECK(bad_pid.err == "launcher: --upkeep-after-pid expects a positive process id, got 'x1'\n");
  RunResult handover_alone = run({a.launcher(), "--upkeep-handover"});
  CHECK(handover_alone.exit_code == 2);
  CHECK(handover_alone.err == "launcher: --upkeep-handover goes with --upkeep-after-pid PID\n");
}

TEST_CASE("a check on start against a server that never answers starts the app within its deadline",
          "[launcher_start][integration]") {
  // Accepts connections (the kernel completes them into the backlog) and never answers.
  int sock = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(sock >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(sock, 16) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0);

  ScriptApp a;
  a.install("1.0.0", "echo \"started $V $$\"\n", "running:5");
  a.edit_config([&](upkeep::Config& c) {
    c.repository_url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
    c.check_on_start_deadline_seconds = 1;
  });
  auto t0 = std::chrono::steady_clock::now();
  RunResult r = run({a.launcher(), "--upkeep-check-now"});
  auto took = std::chrono::steady_clock::now() - t0;
  INFO(r.err);
  CHECK(r.exit_code == 0);
  const auto started = r.out.find("started 1.0.0 ");  // after what the check printed before its deadline
  REQUIRE(started != std::string::npos);
  CHECK(took < std::chrono::seconds(1 + 5));  // the deadline and some slack: the server alone holds it 30 s
  CHECK(took >= std::chrono::seconds(1));
  // The updater goes on alone: alive after the app ended, and never the app's child.
  auto at = r.err.find("goes on in the background (pid ");
  REQUIRE(at != std::string::npos);
  const int updater = std::stoi(r.err.substr(at + 31));
  CHECK(upkeep::process::is_alive(updater));
  CHECK(contains(read_text("/proc/" + std::to_string(updater) + "/cmdline"), "upkeep-updater"));
  const std::string app_pid = std::to_string(std::stoi(r.out.substr(started + 14)));
  std::string status = read_text("/proc/" + std::to_string(updater) + "/status");
  CHECK_FALSE(contains(status, "\nPPid:\t" + app_pid + "\n"));
  CHECK(stdfs::exists(a.root() / "logs" / "check-on-start.log"));
  upkeep::process::kill_hard(updater);
  ::close(sock);
}

TEST_CASE("a user who cannot write the root starts the installed version and reads the status, an update staged or not",
          "[launcher_start][integration]") {
  ScriptApp a;
  a.install("1.0.0", "echo \"$V $(id -u) $*\"\n", "exit");
  open_to_all_users(a.installed->dir.path());
  RunResult fast = run_as_nobody({a.launcher(), "a"});
  CHECK(fast.out == "1.0.0 65534 a\n");

  a.update("2.0.0", "echo \"$V $(id -u) $*\"\n", "exit");
  RunResult pending = run_as_nobody({a.launcher(), "b"});
  INFO(pending.err);
  CHECK(pending.exit_code == 0);
  CHECK(pending.out == "1.0.0 65534 b\n");  // started read-only: the apply is left to root
  CHECK_FALSE(contains(pending.err, "error"));
  RunResult status = run_as_nobody({a.launcher(), "--upkeep-status"});
  INFO(status.err);
  CHECK(status.exit_code == 0);
  CHECK(contains(status.out, "2.0.0  staged"));
  RunResult json = run_as_nobody({a.launcher(), "--upkeep-status", "--upkeep-json"});
  CHECK(upkeep::Json::parse(json.out, "status").get_string("current") == "1.0.0");
  RunResult check = run_as_nobody({a.launcher(), "--upkeep-check-now", "c"});
  CHECK(check.exit_code == 0);
  CHECK(check.out == "1.0.0 65534 c\n");
  CHECK(contains(check.err, "read-only for this user"));
  RunResult rollback = run_as_nobody({a.launcher(), "--upkeep-rollback"});
  CHECK(rollback.exit_code == 12);

  CHECK(run_ok({a.launcher(), "d"}).out == "2.0.0 0 d\n");  // the owner's next start applies it
  CHECK(run_as_nobody({a.launcher(), "e"}).out == "2.0.0 65534 e\n");
}

TEST_CASE(
    "a version on trial that crashes for a read-only user starts the previous one for this run, recording nothing",
    "[launcher_start][integration]") {
  ScriptApp a;
  a.install("1.0.0", "echo \"$V $*\"\n", "running:5");
  a.update("2.0.0", "echo \"$V $*\"\nkill -SEGV $$\n", "running:5");
  {  // Applied, its trial not run yet (as when root's launcher applied and was stopped).
    upkeep::Layout layout(a.root());
    upkeep::StateStore store(layout.state_db());
    upkeep::Applier(layout, store, 3).apply("2.0.0");
  }
  open_to_all_users(a.installed->dir.path());
  RunResult r = run_as_nobody({a.launcher(), "x"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "2.0.0 x\n1.0.0 x\n");
  CHECK(contains(r.err, "version 2.0.0 failed on its first start (killed by signal 11"));
  CHECK(contains(r.err, "starting 1.0.0 for this run"));
  CHECK(a.state_of("2.0.0") == "trial");
  CHECK(a.attempts_of("2.0.0") == 0);
  CHECK(a.current() == "versions/2.0.0");
}

TEST_CASE("on a read-only root (immutable folder, read-only mount) the app starts and the status reads",
          "[launcher_start][integration]") {
  ScriptApp a;
  a.install("1.0.0", "echo \"$V $*\"\n", "exit");
  a.update("2.0.0", "echo \"$V $*\"\n", "exit");
  auto check_read_only = [&](const char* how) {
    INFO(how);
    RunResult start = run({a.launcher(), "x"});
    INFO(start.err);
    CHECK(start.exit_code == 0);
    CHECK(start.out == "1.0.0 x\n");
    RunResult status = run({a.launcher(), "--upkeep-status"});
    INFO(status.err);
    CHECK(status.exit_code == 0);
    CHECK(contains(status.out, "2.0.0  staged"));
  };
  {
    ImmutableDir frozen(a.root());
    if (frozen.active()) {
      check_read_only("chattr +i");
    } else {
      WARN("chattr +i is not available here");
    }
  }
  {
    ReadOnlyMount mount(a.root());
    if (mount.mounted()) {
      check_read_only("read-only bind mount");
    } else {
      WARN("cannot mount here");
    }
  }
  CHECK(run_ok({a.launcher(), "y"}).out == "2.0.0 y\n");
}

TEST_CASE("the app holds the shared .running lock of a per-machine install, on the fast path and on trial",
          "[launcher_start][integration]") {
  ScriptApp a;
  const std::string probe =
      "if flock --nonblock --exclusive \"$UPKEEP_ROOT/.running\" true; then echo \"$V free\"; else echo \"$V held\"; "
      "fi\n";
  a.install("1.0.0", probe, "exit");
  CHECK(run_ok({a.launcher()}).out == "1.0.0 free\n");  // no .running: nothing held
  write_text(a.root() / ".running", "");
  CHECK(run_ok({a.launcher()}).out == "1.0.0 held\n");
  a.update("2.0.0", probe, "exit");
  CHECK(run_ok({a.launcher()}).out == "2.0.0 held\n");
  CHECK(a.state_of("2.0.0") == "good");
}

TEST_CASE("a rollback by hand and a failed trial skip a version whose files are damaged, saying why",
          "[launcher_start][integration]") {
  ScriptApp a;
  a.install("1.0.0", "echo \"$V\"\n", "running:5");
  a.update("2.0.0", "echo \"$V\"\n", "running:5");
  CHECK(run_ok({a.launcher()}).out == "2.0.0\n");
  REQUIRE(a.state_of("2.0.0") == "good");
  write_text(a.root() / "versions" / "1.0.0" / "share" / "readme.txt", "damaged\n");

  RunResult r = run({a.launcher(), "--upkeep-rollback"});
  CHECK(r.exit_code == 9);
  CHECK(contains(r.err, "launcher: skipping 1.0.0: share/readme.txt: size 8, expected 12"));
  CHECK(contains(r.err, "no earlier version of 2.0.0 that can start"));
  CHECK(a.current() == "versions/2.0.0");
  CHECK(a.state_of("2.0.0") == "good");

  // A failed trial whose previous version is damaged goes back to nothing and says so.
  a.update("3.0.0", "echo \"$V\"\nexit 3\n", "running:5");
  write_text(a.root() / "versions" / "2.0.0" / "extra", "x");
  RunResult failed = run({a.launcher()});
  INFO(failed.err);
  CHECK(failed.exit_code == 3);  // no runnable version
  CHECK(contains(failed.err, "not going back to 2.0.0: extra: unexpected file"));
  CHECK(
      contains(failed.err, "version 3.0.0 failed on its first start (exit code 3), and no earlier version can start"));
}
