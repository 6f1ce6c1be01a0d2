#include "launcher_options.h"

#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"

namespace upkeep {
namespace {

CommandLine launcher_command_line() {
  CommandLine c("launcher",
                "Applies a staged update if there is one, then starts the installed application\n"
                "with ARGS. The launcher's options all start with --upkeep- and come first;\n"
                "everything else (--help, --version, --) goes to the application unchanged.",
                {.help = "--upkeep-help", .version = "--upkeep-version"});
  c.usage(
       "LAUNCHER [--upkeep-check-now] [--upkeep-after-pid PID [--upkeep-handover]] [ARGS for the application...]\n"
       "LAUNCHER --upkeep-status [--upkeep-json]\n"
       "LAUNCHER --upkeep-rollback | --upkeep-empty-trash | --upkeep-help | --upkeep-version")
      .version_text("upkeep launcher " UPKEEP_VERSION_STRING)
      .flag("upkeep-check-now",
            "check for and stage an update first (at most check_on_start_deadline_seconds, then it goes on in the "
            "background)")
      .option("upkeep-after-pid", "PID", "wait for process PID to end first (restart to update)")
      .flag("upkeep-handover",
            "with --upkeep-after-pid: do not wait; start the new version on the inherited sockets, then SIGTERM PID "
            "once it is ready (hand-over)")
      .flag("upkeep-status", "installed versions, pending work, settings, recent events")
      .flag("upkeep-json", "with --upkeep-status: the same as JSON")
      .flag("upkeep-rollback", "go back to the previous good version (the current one is marked bad)")
      .flag("upkeep-empty-trash",
            "delete what clean-up moved into <root>/trash, then exit (the launcher runs it in the background after "
            "a clean-up; nobody needs to)")
      .footer(
          "Exit codes: the application's own; the launcher's (upkeep exit-codes): 2 bad command line, 3 no\n"
          "runnable version, 4 the install is busy, 14 permission denied.");
  return c;
}

long long process_id(const std::string& text) {
  const std::string option = "--upkeep-after-pid";
  try {
    size_t used = 0;
    long long pid = std::stoll(text, &used);
    if (used == text.size() && pid > 0) return pid;
  } catch (const std::exception&) {
  }
  fail(ErrorCode::kUsage, option + " expects a positive process id, got '" + text + "'");
}

void check_combination(const LauncherOptions& o) {
  if (o.handover && !o.after_pid) fail(ErrorCode::kUsage, "--upkeep-handover goes with --upkeep-after-pid PID");
  if (o.json && !o.status) fail(ErrorCode::kUsage, "--upkeep-json goes with --upkeep-status");
  int commands = int(o.status) + int(o.rollback) + int(o.empty_trash);
  if (commands > 1) fail(ErrorCode::kUsage, "--upkeep-status, --upkeep-rollback and --upkeep-empty-trash go alone");
  if (commands == 1 && (o.check_now || o.after_pid || !o.app_args.empty()))
    fail(ErrorCode::kUsage, std::string("--upkeep-") +
                                (o.status     ? "status"
                                 : o.rollback ? "rollback"
                                              : "empty-trash") +
                                " starts no application: it takes no application arguments, --upkeep-check-now or "
                                "--upkeep-after-pid");
}

// How many leading words are the launcher's, by `c`'s declaration of which take a value.
size_t count_own(const CommandLine& c, const std::vector<std::string>& args) {
  const std::string prefix = LauncherOptions::kPrefix;
  size_t i = 0;
  while (i < args.size() && args[i].rfind(prefix, 0) == 0)
    i += c.value_count(args[i]) == 1 ? 2 : 1;  // "--upkeep-after-pid PID"; "--upkeep-after-pid=PID" is one word
  return std::min(i, args.size());
}

bool starts_with_own(const std::vector<std::string>& args) {
  return !args.empty() && args[0].rfind(LauncherOptions::kPrefix, 0) == 0;
}

}  // namespace

size_t LauncherOptions::own_count(const std::vector<std::string>& args) {
  return starts_with_own(args) ? count_own(launcher_command_line(), args) : 0;
}

LauncherOptions LauncherOptions::parse(const std::vector<std::string>& args) {
  LauncherOptions o;
  if (!starts_with_own(args)) {  // the fast path: nothing of the launcher's to parse
    o.app_args = args;
    return o;
  }
  const CommandLine c = launcher_command_line();  // declared once for both the count and the parse
  const size_t own = count_own(c, args);
  o.app_args.assign(args.begin() + static_cast<long>(own), args.end());
  const ParsedArgs p = c.parse({args.begin(), args.begin() + static_cast<long>(own)});
  o.status = p.flag("upkeep-status");
  o.json = p.flag("upkeep-json");
  o.rollback = p.flag("upkeep-rollback");
  o.check_now = p.flag("upkeep-check-now");
  o.handover = p.flag("upkeep-handover");
  o.empty_trash = p.flag("upkeep-empty-trash");
  if (auto pid = p.value("upkeep-after-pid")) o.after_pid = process_id(*pid);
  check_combination(o);
  return o;
}

}  // namespace upkeep
