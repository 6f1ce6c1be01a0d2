// Trials by the release's declared health rule (trial_verdict.h), with
// apps that are not mainapp: a command-line tool (rule exit) runs exactly
// once per invocation and its exit status reaches the caller, across an
// update; a crash is evidence, a kill from outside is not; a running:N
// or confirm app is never killed; a program that cannot be executed makes
// the previous version start at once.
#include <signal.h>

#include "script_app_fixture.h"

using namespace upkeep::test;

namespace {

// A command-line tool: one line per run in $TOOL_LOG, then the exit code $TOOL_EXIT.
const char* kTool = "echo \"$V $*\" >> \"$TOOL_LOG\"\nexit ${TOOL_EXIT:-0}\n";

}  // namespace

TEST_CASE("a command-line tool runs exactly once per invocation and its exit code reaches the caller, across an update",
          "[health_rules][integration]") {
  ScriptApp a;
  a.install("1.0.0", kTool, "exit");
  TempDir logs;
  const stdfs::path log = logs / "runs";
  auto tool = [&](const std::string& arg, int code) {
    return run({a.launcher(), arg}, {{"TOOL_LOG", log.string()}, {"TOOL_EXIT", std::to_string(code)}});
  };
  CHECK(tool("first", 3).exit_code == 3);
  a.update("2.0.0", kTool, "exit");
  // The first run of 2.0.0 is its trial: a user error (exit 4) is the tool's answer, not a broken release.
  RunResult trial = tool("second", 4);
  INFO(trial.err);
  CHECK(trial.exit_code == 4);
  CHECK(a.current() == "versions/2.0.0");
  CHECK(a.state_of("2.0.0") == "good");
  CHECK(tool("third", 0).exit_code == 0);
  CHECK(lines_of(log) == std::vector<std::string>{"1.0.0 first", "2.0.0 second", "2.0.0 third"});
}

TEST_CASE(
    "a command that crashes on its first start is not run again: the caller gets the crash, the next run the "
    "previous version",
    "[health_rules][integration]") {
  ScriptApp a;
  a.install("1.0.0", kTool, "exit");
  a.update("2.0.0", "echo \"$V $*\" >> \"$TOOL_LOG\"\nkill -SEGV $$\n", "exit");
  TempDir logs;
  const std::map<std::string, std::string> env{{"TOOL_LOG", (logs / "runs").string()}};

  RunResult crashed = run({a.launcher(), "once"}, env);
  INFO(crashed.err);
  CHECK(crashed.exit_code == 128 + SIGSEGV);                                 // the launcher ends as the command did
  CHECK(lines_of(logs / "runs") == std::vector<std::string>{"2.0.0 once"});  // run once, not twice
  CHECK(contains(crashed.err, "version 2.0.0 failed on its first start (killed by signal 11"));
  CHECK(contains(crashed.err, "going back to 1.0.0 from the next start"));
  CHECK(a.state_of("2.0.0") == "bad");
  CHECK(a.current() == "versions/1.0.0");

  CHECK(run({a.launcher(), "again"}, env).exit_code == 0);
  CHECK(lines_of(logs / "runs") == std::vector<std::string>{"2.0.0 once", "1.0.0 again"});
}

TEST_CASE("exit 127 (a missing library or interpreter) is evidence under every rule", "[health_rules][integration]") {
  for (const char* rule : {"exit", "running:5", "confirm"}) {
    INFO(rule);
    ScriptApp a;
    a.install("1.0.0", "echo \"$V $*\"\n", rule);
    a.update("2.0.0", "echo \"$V $*\"\nexit 127\n", rule);
    RunResult r = run({a.launcher(), "x"});
    INFO(r.err);
    CHECK(contains(r.err, "version 2.0.0 could not run (exit code 127)"));
    CHECK(a.state_of("2.0.0") == "bad");
    if (std::string(rule) == "exit") {
      CHECK(r.exit_code == 127);  // never run twice: the caller gets this run's status
      CHECK(r.out == "2.0.0 x\n");
    } else {
      CHECK(r.exit_code == 0);  // an app the user waits for: the previous version, now
      CHECK(r.out == "2.0.0 x\n1.0.0 x\n");
    }
  }
}

TEST_CASE("a program that cannot be executed makes the previous version start at once, even for a command",
          "[health_rules][integration]") {
  ScriptApp a;
  a.install("1.0.0", kTool, "exit");
  // 2.0.0's program names an interpreter that is not there: exec fails, nothing runs.
  a.release("2.0.0", kTool, "exit", {}, "/nonexistent/sh");
  a.stage("2.0.0");
  TempDir logs;
  RunResult r = run({a.launcher(), "go"}, {{"TOOL_LOG", (logs / "runs").string()}, {"TOOL_EXIT", "6"}});
  INFO(r.err);
  CHECK(r.exit_code == 6);  // 1.0.0's run, in the same launch
  CHECK(lines_of(logs / "runs") == std::vector<std::string>{"1.0.0 go"});
  CHECK(contains(r.err, "version 2.0.0 could not be started (cannot start"));
  CHECK(contains(r.err, "going back to 1.0.0\n"));
  CHECK(a.state_of("2.0.0") == "bad");
}

TEST_CASE("a running:N app that never confirms is never killed, and is good once alive N seconds",
          "[health_rules][integration]") {
  ScriptApp a;
  a.install("1.0.0", "echo started\n", "running:1");
  TempDir io;
  const stdfs::path go = make_fifo(io, "go");
  // Alive well past its window (and the trial timeout, 1 s), then ends when the test says so.
  a.update("2.0.0", "echo \"started $V\"\nsleep 3\necho 'still alive'\nread x < \"$GO\"\nexit 0\n", "running:1");
  a.edit_config([](upkeep::Config& c) { c.trial_timeout_seconds = 1; });

  BackgroundProcess launcher({a.launcher()}, {{"GO", go.string()}});
  CHECK(launcher.read_line() == "started 2.0.0");
  CHECK(launcher.read_line() == "still alive");  // not killed at 1 s
  CHECK(a.state_of("2.0.0") == "good");          // recorded while it runs on
  write_text(go, "end\n");
  CHECK(launcher.stop(0) == 0);
  CHECK(a.current() == "versions/2.0.0");
}

TEST_CASE("a confirm app past its window is left alone and decided when it ends", "[health_rules][integration]") {
  for (int code : {0, 3}) {
    INFO("exit code " << code);
    ScriptApp a;
    a.install("1.0.0", "echo \"started $V\"\n", "confirm");
    a.update("2.0.0", "echo \"started $V\"\nsleep 2\necho 'still alive'\nexit " + std::to_string(code) + "\n",
             "confirm");
    a.edit_config([](upkeep::Config& c) { c.trial_timeout_seconds = 1; });
    RunResult r = run({a.launcher()});
    INFO(r.err);
    CHECK(r.exit_code == code);
    CHECK(r.out == "started 2.0.0\nstill alive\n");  // never killed, and not followed by 1.0.0 in this launch
    if (code == 0) {
      CHECK(a.state_of("2.0.0") == "good");
    } else {
      CHECK(a.state_of("2.0.0") == "bad");
      CHECK(contains(r.err, "going back to 1.0.0 from the next start"));
      CHECK(run({a.launcher()}).out == "started 1.0.0\n");
    }
  }
}

TEST_CASE("a confirm app that writes the health byte is good at once", "[health_rules][integration]") {
  ScriptApp a;
  a.install("1.0.0", "echo \"started $V\"\n", "confirm");
  TempDir io;
  const stdfs::path go = make_fifo(io, "go");
  a.update("2.0.0", "printf 1 >&\"$UPKEEP_HEALTH_FD\"\necho \"confirmed $V\"\nread x < \"$GO\"\nexit 5\n", "confirm");
  BackgroundProcess launcher({a.launcher()}, {{"GO", go.string()}});
  CHECK(launcher.read_line() == "confirmed 2.0.0");
  // Its later exit code is its own business: the launcher passes it on.
  write_text(go, "end\n");
  CHECK(launcher.stop(0) == 5);
  CHECK(a.state_of("2.0.0") == "good");
}

TEST_CASE("SIGTERM or SIGINT from outside during a trial is no evidence, however often",
          "[health_rules][integration]") {
  ScriptApp a;
  a.install("1.0.0", "echo \"started $V\"\n", "running:600");
  a.update("2.0.0", "echo \"ready $$\"\nexec sleep 600\n", "running:600");
  // More kills than kMaxTrialStarts (3), alternating: to the launcher (forwarded) and to the app itself.
  for (int i = 0; i < 5; ++i) {
    INFO("kill " << i);
    BackgroundProcess launcher({a.launcher()});
    std::string ready = launcher.read_line();
    REQUIRE(ready.rfind("ready ", 0) == 0);
    if (i % 2 == 0) {
      CHECK(launcher.stop(SIGTERM) == 128 + SIGTERM);  // the launcher forwards it and ends as the app did
    } else {
      ::kill(std::stoi(ready.substr(6)), SIGINT);
      CHECK(launcher.stop(0) == 128 + SIGINT);
    }
    CHECK(a.state_of("2.0.0") == "trial");
    CHECK(a.attempts_of("2.0.0") == 0);  // the start was taken back
  }
  CHECK(a.current() == "versions/2.0.0");
}

TEST_CASE("an app that exits 1 after a SIGTERM the launcher passed on is no evidence either",
          "[health_rules][integration]") {
  ScriptApp a;
  a.install("1.0.0", "echo \"started $V\"\n", "running:600");
  // It cleans up and exits with a code of its own when asked to end.
  a.update("2.0.0", "trap 'exit 1' TERM\necho \"ready $$\"\nwhile :; do sleep 1 & wait $!; done\n", "running:600");
  for (int i = 0; i < 4; ++i) {  // more than kMaxTrialStarts
    INFO("SIGTERM " << i);
    BackgroundProcess launcher({a.launcher()});
    REQUIRE(launcher.read_line().rfind("ready ", 0) == 0);
    CHECK(launcher.stop(SIGTERM) == 1);
    CHECK(a.state_of("2.0.0") == "trial");
    CHECK(a.attempts_of("2.0.0") == 0);  // the start was taken back
  }
  CHECK(a.current() == "versions/2.0.0");
}
