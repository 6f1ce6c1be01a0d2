// Socket hand-over through the launcher: listening sockets it inherits
// (LISTEN_FDS at 3, 4, ...) reach the program it starts, with LISTEN_PID
// set to that program's own pid, on the plain start (exec), on a trial
// (spawn), and when a failed trial starts the previous version instead; the
// updater a check on start runs gets none of them.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "script_app_fixture.h"
#include "upkeep/platform/process.h"

using namespace upkeep::test;
namespace process = upkeep::process;

namespace {

// One line per start in $REPORT: version, whose LISTEN_PID, the inode of fd 3, LISTEN_FDS, LISTEN_FDNAMES.
const char* kReport =
    "ino=$(stat -L -c %i /proc/self/fd/3 2>/dev/null || echo none)\n"
    "[ \"$LISTEN_PID\" = \"$$\" ] && p=own || p=\"other:$LISTEN_PID\"\n"
    "echo \"$V $p $ino ${LISTEN_FDS-unset} ${LISTEN_FDNAMES-unset}\" >> \"$REPORT\"\n";

// A listening TCP socket on 127.0.0.1, closed on destruction.
struct Listener {
  int fd = listen_on_loopback();
  ~Listener() { close(fd); }
  std::string inode() const {
    struct stat st {};
    REQUIRE(fstat(fd, &st) == 0);
    return std::to_string(st.st_ino);
  }
};

// Runs the launcher as restart_to_update does: the socket at 3, LISTEN_FDS=1, LISTEN_FDNAMES=http.
process::ExitStatus launch_with_socket(const ScriptApp& a, const Listener& l, const stdfs::path& report,
                                       const std::vector<std::string>& args = {}) {
  process::SpawnOptions o;
  o.argv = {a.launcher()};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = process::current_environment();
  o.env["REPORT"] = report.string();
  o.env["LISTEN_FDS"] = "1";
  o.env["LISTEN_FDNAMES"] = "http";
  o.env.erase("LISTEN_PID");
  o.move_fds = {{l.fd, 3}};
  o.stdin_null = true;
  return process::wait_child(process::spawn(o));
}

}  // namespace

TEST_CASE("the launcher passes inherited listening sockets to the app with LISTEN_PID of the app, exec and trial",
          "[handover][integration]") {
  ScriptApp a;
  a.install("1.0.0", kReport, "exit");
  TempDir dir;
  Listener l;
  const stdfs::path report = dir / "report";
  const std::string same = " own " + l.inode() + " 1 http";

  CHECK(launch_with_socket(a, l, report).success());  // the plain start: exec, LISTEN_PID is the launcher's = the app's
  a.update("2.0.0", kReport, "exit");
  CHECK(launch_with_socket(a, l, report).success());  // the trial: spawned, LISTEN_PID set in the child
  CHECK(a.state_of("2.0.0") == "good");
  // Without sockets the app sees none of the variables (what fd 3 is then is the test runner's business).
  CHECK(run({a.launcher()}, {{"REPORT", report.string()}}).exit_code == 0);
  auto lines = lines_of(report);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "1.0.0" + same);
  CHECK(lines[1] == "2.0.0" + same);
  CHECK(lines[2].rfind("2.0.0 other: ", 0) == 0);
  CHECK(lines[2].substr(lines[2].size() - 12) == " unset unset");
}

TEST_CASE("when the new version fails its trial, the previous version starts on the same sockets",
          "[handover][integration]") {
  ScriptApp a;
  a.install("1.0.0", kReport, "running:5");
  a.update("2.0.0", std::string(kReport) + "exit 3\n", "running:5");
  TempDir dir;
  Listener l;
  const stdfs::path report = dir / "report";

  CHECK(launch_with_socket(a, l, report).success());  // 1.0.0's exit status: it ran after 2.0.0 failed
  const std::string same = " own " + l.inode() + " 1 http";
  CHECK(lines_of(report) == std::vector<std::string>{"2.0.0" + same, "1.0.0" + same});
  CHECK(a.state_of("2.0.0") == "bad");
  CHECK(a.current() == "versions/1.0.0");
}

TEST_CASE("the updater a check on start runs inherits neither the handed-over sockets nor the LISTEN_ variables",
          "[handover][integration]") {
  ScriptApp a;
  a.install("1.0.0", kReport, "exit");
  TempDir dir;
  Listener l;
  const stdfs::path report = dir / "report";
  // A stand-in for upkeep-updater: which of its descriptors is the socket, and the variables it got.
  const stdfs::path updater = a.root() / "upkeep-updater";
  stdfs::remove(updater);
  write_text(
      updater,
      "#!/bin/sh\n"
      "found=none\n"
      "for f in /proc/$$/fd/*; do\n"
      "  [ \"$(stat -L -c %i \"$f\" 2>/dev/null)\" = \"" +
          l.inode() +
          "\" ] && found=\"fd ${f##*/}\"\n"
          "done\n"
          "echo \"updater $found ${LISTEN_FDS-unset} ${LISTEN_FDNAMES-unset} ${LISTEN_PID-unset}\" >> \"$REPORT\"\n");
  chmod(updater.c_str(), 0755);

  CHECK(launch_with_socket(a, l, report, {"--upkeep-check-now"}).success());
  // The app still gets the socket (the launcher kept it); the updater did not.
  CHECK(lines_of(report) ==
        std::vector<std::string>{"updater none unset unset unset", "1.0.0 own " + l.inode() + " 1 http"});
}
