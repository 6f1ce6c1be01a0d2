#include "launcher_options.h"

#include "upkeep/base/error.h"

namespace upkeep {
namespace {

long long process_id(const std::vector<std::string>& args, size_t i) {
  const std::string option = "--upkeep-after-pid";
  if (i >= args.size()) fail(ErrorCode::kUsage, option + " expects a process id");
  try {
    size_t used = 0;
    long long pid = std::stoll(args[i], &used);
    if (used == args[i].size() && pid > 0) return pid;
  } catch (const std::exception&) {
  }
  fail(ErrorCode::kUsage, option + " expects a positive process id, got '" + args[i] + "'");
}

void check_combination(const LauncherOptions& o) {
  if (o.handover && !o.after_pid) fail(ErrorCode::kUsage, "--upkeep-handover goes with --upkeep-after-pid PID");
  if (o.json && !o.status) fail(ErrorCode::kUsage, "--upkeep-json goes with --upkeep-status");
  int commands = int(o.status) + int(o.rollback) + int(o.help) + int(o.version) + int(o.empty_trash);
  if (commands > 1)
    fail(ErrorCode::kUsage,
         "--upkeep-status, --upkeep-rollback, --upkeep-empty-trash, --upkeep-help and --upkeep-version go alone");
  if (commands == 1 && (o.check_now || o.after_pid || !o.app_args.empty()))
    fail(ErrorCode::kUsage, std::string("--upkeep-") +
                                (o.status     ? "status"
                                 : o.rollback ? "rollback"
                                 : o.help     ? "help"
                                 : o.version  ? "version"
                                              : "empty-trash") +
                                " starts no application: it takes no application arguments, --upkeep-check-now or "
                                "--upkeep-after-pid");
}

}  // namespace

LauncherOptions LauncherOptions::parse(const std::vector<std::string>& args) {
  LauncherOptions o;
  size_t i = 0;
  for (; i < args.size() && args[i].rfind(kPrefix, 0) == 0; ++i) {
    const std::string& a = args[i];
    if (a == "--upkeep-help") {
      o.help = true;
    } else if (a == "--upkeep-version") {
      o.version = true;
    } else if (a == "--upkeep-status") {
      o.status = true;
    } else if (a == "--upkeep-json") {
      o.json = true;
    } else if (a == "--upkeep-rollback") {
      o.rollback = true;
    } else if (a == "--upkeep-check-now") {
      o.check_now = true;
    } else if (a == "--upkeep-handover") {
      o.handover = true;
    } else if (a == "--upkeep-empty-trash") {
      o.empty_trash = true;
    } else if (a == "--upkeep-after-pid") {
      o.after_pid = process_id(args, ++i);
    } else {
      fail(ErrorCode::kUsage, "unknown launcher option " + a + " (--upkeep-help lists them)");
    }
  }
  o.app_args.assign(args.begin() + static_cast<long>(i), args.end());
  check_combination(o);
  return o;
}

const char* LauncherOptions::usage() {
  return "usage: LAUNCHER [--upkeep-check-now] [--upkeep-after-pid PID [--upkeep-handover]] [ARGS for the "
         "application...]\n"
         "       LAUNCHER --upkeep-status [--upkeep-json]\n"
         "       LAUNCHER --upkeep-rollback | --upkeep-empty-trash | --upkeep-help | --upkeep-version\n"
         "\n"
         "Applies a staged update if there is one, then starts the installed application\n"
         "with ARGS. The launcher's options all start with --upkeep- and come first;\n"
         "everything else (--help, --version, --) goes to the application unchanged.\n"
         "  --upkeep-check-now        check for and stage an update first (at most\n"
         "                            check_on_start_deadline_seconds, then it goes on in the background)\n"
         "  --upkeep-after-pid PID    wait for process PID to end first (restart to update)\n"
         "  --upkeep-handover         with --upkeep-after-pid: do not wait; start the new version on the\n"
         "                            inherited sockets, then SIGTERM PID once it is ready (hand-over)\n"
         "  --upkeep-status           installed versions, pending work, settings, recent events\n"
         "  --upkeep-json             with --upkeep-status: the same as JSON\n"
         "  --upkeep-rollback         go back to the previous good version (the current one is marked bad)\n"
         "  --upkeep-empty-trash      delete what clean-up moved into <root>/trash, then exit (the launcher\n"
         "                            runs it in the background after a clean-up; nobody needs to)\n"
         "  --upkeep-help             this text\n"
         "  --upkeep-version          the launcher's own version\n";
}

}  // namespace upkeep
