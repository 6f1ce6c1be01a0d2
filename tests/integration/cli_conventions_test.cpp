// The program walk: every program and every `upkeep` command (as
// `upkeep --help` lists them, so a new command is walked without editing
// this file) keeps the one command-line convention of
// upkeep/base/command_line.h: --help on stdout with exit 0, --version,
// an unknown option as exactly one line on stderr naming it with exit 2 and
// nothing on stdout, or with --json the error object on stdout.
#include <algorithm>
#include <regex>
#include <sstream>

#include "release_fixture.h"
#include "script_app_fixture.h"
#include "upkeep/base/exit_codes.h"

using namespace upkeep::test;

namespace {

// One program or command: how it is called and how its own options are spelled.
struct Walked {
  std::string name;                 // "upkeep release", "launcher"
  std::vector<std::string> prefix;  // the program (and command)
  std::string help = "--help";
  std::string version = "--version";
  std::string json = "--json";
  std::string unknown = "--no-such-option";
};

size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

bool has_log_line(const std::string& s) {
  return std::regex_search(s, std::regex(R"(^\[\d{4}-\d\d-\d\d )", std::regex::multiline));
}

std::vector<std::string> with(const Walked& w, std::vector<std::string> args) {
  std::vector<std::string> argv = w.prefix;
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// The commands `upkeep --help` lists: the first word of each line of its "commands:" block.
std::vector<std::string> upkeep_commands() {
  RunResult r = run({program("upkeep").string(), "--help"});
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> names;
  std::istringstream in(r.out);
  bool in_list = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "commands:") {
      in_list = true;
    } else if (in_list && line.empty()) {
      break;
    } else if (in_list && line.size() > 2 && line.rfind("  ", 0) == 0 && line[2] != ' ') {
      names.push_back(line.substr(2, line.find(' ', 2) - 2));
    }
  }
  return names;
}

std::vector<Walked> every_program() {
  std::vector<Walked> all{
      {.name = "upkeep", .prefix = {program("upkeep").string()}},
      {.name = "upkeep-updater", .prefix = {program("upkeep-updater").string()}},
      {.name = "mainapp", .prefix = {program("mainapp").string()}},
      {.name = "upkeep-tuf-client", .prefix = {program("upkeep-tuf-client").string()}},
      {.name = "launcher",
       .prefix = {program("launcher").string()},
       .help = "--upkeep-help",
       .version = "--upkeep-version",
       .json = "--upkeep-json",
       .unknown = "--upkeep-no-such-option"},
  };
  for (const auto& c : upkeep_commands())
    all.push_back({.name = "upkeep " + c, .prefix = {program("upkeep").string(), c}});
  return all;
}

void check_help(const Walked& w, std::string& help) {
  RunResult r = run(with(w, {w.help}));
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(r.out.rfind("usage: ", 0) == 0);
  CHECK_FALSE(has_log_line(r.out));
  help = r.out;
}

// The version flag where the command has none of its own (`release --version V` names a release).
void check_version(const Walked& w, const std::string& help) {
  const bool own_meaning = std::regex_search(help, std::regex("\n  " + w.version + " [A-Z]"));
  if (own_meaning) return;
  RunResult r = run(with(w, {w.version}));
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(std::regex_search(r.out, std::regex(R"(^\S.* \d+\.\d+)")));
  CHECK(lines(r.out) == 1);
}

void check_unknown_option(const Walked& w, const std::string& help) {
  RunResult r = run(with(w, {w.unknown}));
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("'" + w.unknown + "'") != std::string::npos);
  CHECK(r.err.rfind(w.name + ": ", 0) == 0);
  CHECK_FALSE(has_log_line(r.err));
  if (!std::regex_search(help, std::regex("\n  " + w.json + "( |\n)"))) return;  // declared, not only mentioned
  // With the command's --json: the same failure as one JSON object on stdout.
  RunResult j = run(with(w, {w.json, w.unknown}));
  CHECK(j.exit_code == 2);
  CHECK(lines(j.err) == 1);
  INFO("stdout: " << j.out);
  const upkeep::Json e = upkeep::Json::parse(j.out, "stdout of " + w.name + " " + w.json).at("error");
  CHECK(e.get_int("code") == 2);
  CHECK(e.get_string("name") == "usage");
  CHECK(e.get_string("message").find(w.unknown) != std::string::npos);
}

}  // namespace

TEST_CASE("every program and every upkeep command keeps the one command-line convention", "[cli][integration]") {
  const auto all = every_program();
  REQUIRE(all.size() > 15);  // the five programs and upkeep's commands
  for (const Walked& w : all) {
    INFO(w.name);
    std::string help;
    check_help(w, help);
    check_version(w, help);
    check_unknown_option(w, help);
  }
}

TEST_CASE("upkeep --help names every command and the exit codes come from one table", "[cli][integration]") {
  const auto names = upkeep_commands();
  for (const char* c : {"install", "uninstall", "release", "keys", "exit-codes"})
    CHECK(std::find(names.begin(), names.end(), c) != names.end());
  RunResult text = run({program("upkeep").string(), "exit-codes"});
  CHECK(text.exit_code == 0);
  CHECK(lines(text.out) == upkeep::exit_codes().size());
  RunResult md = run({program("upkeep").string(), "exit-codes", "--markdown"});
  CHECK(md.out == upkeep::exit_codes_markdown());
  RunResult json = run({program("upkeep").string(), "exit-codes", "--json"});
  CHECK(upkeep::Json::parse(json.out, "exit-codes --json").as_array().size() == upkeep::exit_codes().size());
}

TEST_CASE("usage errors name what was expected: a missing value, a repeated option, a missing argument",
          "[cli][integration]") {
  const std::string upkeep = program("upkeep").string();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{upkeep, "serve", "--port"}, "upkeep serve: --port expects a value (P)"},
      {{upkeep, "rollout", "--percent", "1", "--percent", "2"}, "upkeep rollout: --percent is given more than once"},
      {{upkeep, "version-of"}, "upkeep version-of: missing FILE"},
      {{upkeep, "compare", "1", "2", "3"}, "upkeep compare: unexpected argument '3'"},
      {{upkeep, "serve", "repo", "--port", "x"}, "upkeep serve: --port expects an integer from 0 to 65535, got 'x'"},
      {{upkeep, "no-such-command"}, "upkeep: unknown command 'no-such-command'"},
      {{program("launcher").string(), "--upkeep-after-pid"}, "launcher: --upkeep-after-pid expects a value (PID)"},
      {{program("upkeep-updater").string(), "--quiet"}, "upkeep-updater: --root DIR is needed"},
  };
  for (const auto& [argv, start] : cases) {
    INFO(argv[1]);
    RunResult r = run(argv);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(lines(r.err) == 1);
    CHECK(r.err.rfind(start, 0) == 0);
  }
}

TEST_CASE("the launcher passes everything after its own options to the application, --help and --json too",
          "[cli][integration]") {
  // No install: the launcher parses its options first, so a usage error shows before it looks for a root,
  // and words that are not its own never are one.
  RunResult r = run({program("launcher").string(), "--upkeep-check-now", "--upkeep-bogus", "--help"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("'--upkeep-bogus'") != std::string::npos);
  RunResult app = run({program("launcher").string(), "--help", "--upkeep-bogus", "--upkeep-json"});
  CHECK(app.out.empty());  // not the launcher's usage: --help went to the (missing) application
  CHECK(app.err.find("--upkeep-bogus") == std::string::npos);
  CHECK(app.exit_code != 2);
}

TEST_CASE("exit codes mean what the table says: a version whose program is gone is 3, said once",
          "[cli][integration]") {
  ScriptApp a;
  a.install("1.0.0", "echo \"$V $*\"\n", "exit");
  stdfs::remove(a.root() / "versions" / "1.0.0" / "hello");
  RunResult r = run({a.launcher(), "x"});
  CHECK(r.exit_code == static_cast<int>(upkeep::ErrorCode::kNoRunnableVersion));
  CHECK(r.out.empty());
  CHECK(lines(r.err) == 1);
  CHECK(r.err.rfind("launcher: 1.0.0: cannot start ", 0) == 0);
  // The updater on a folder that holds no install: 9, not "malformed input".
  RunResult none = run({program("upkeep-updater").string(), "--root", (a.root() / "nothing").string(), "--json"});
  CHECK(none.exit_code == static_cast<int>(upkeep::ErrorCode::kNotFound));
  CHECK(upkeep::Json::parse(none.out, "updater --json").at("error").get_string("name") == "not_found");
}

TEST_CASE("a root that cannot be written even by root is 14 (permission) for every command that changes it",
          "[cli][integration]") {
  ScriptApp a;
  a.install("1.0.0", "echo \"$V $*\"\n", "exit");
  a.update("2.0.0", "echo \"$V $*\"\n", "exit");
  REQUIRE(run({a.launcher()}).exit_code == 0);  // 2.0.0 applied: a rollback has somewhere to go
  ImmutableDir frozen(a.root());
  if (!frozen.active()) {
    WARN("chattr +i is not available here: skipped");
    return;
  }
  const std::string upkeep = program("upkeep").string(), root = a.root().string();
  for (const auto& argv :
       std::vector<std::vector<std::string>>{{a.launcher(), "--upkeep-rollback"},
                                             {upkeep, "repair", "--prefix", root},
                                             {upkeep, "quarantine", "--prefix", root, "clear", "2.0.0"},
                                             {upkeep, "uninstall", "--prefix", root}}) {
    INFO(argv[1]);
    RunResult r = run(argv);
    INFO(r.err);
    CHECK(r.exit_code == static_cast<int>(upkeep::ErrorCode::kPermission));
  }
}
