// LauncherOptions: the launcher's own command-line options. They all take
// the prefix --upkeep- and come first: the first argument that does not
// start with --upkeep- ends them, and it and everything after it (--,
// --help, --version, --status...) go to the application unchanged.
// An unknown --upkeep- option, or options that do not go together, are
// Error(kUsage); --upkeep-help and --upkeep-version are ShowText
// (upkeep/base/command_line.h). The table: docs/launcher-contract.md "Options".
// Plain value; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace upkeep {

struct LauncherOptions {
  static constexpr const char* kPrefix = "--upkeep-";

  bool status = false;  // --upkeep-status [--upkeep-json]
  bool json = false;
  bool rollback = false;               // --upkeep-rollback: back to the previous good version, then exit
  bool check_now = false;              // --upkeep-check-now: a bounded check on start first
  std::optional<long long> after_pid;  // --upkeep-after-pid PID: wait for it to end first (restart to update)
  bool handover = false;  // --upkeep-handover: with after_pid, start first, then SIGTERM PID once the new one is ready
  bool empty_trash = false;  // --upkeep-empty-trash: delete what clean-up moved into the trash (trash.h), then exit
  std::vector<std::string> app_args;  // everything after the launcher's options, unchanged

  static LauncherOptions parse(const std::vector<std::string>& args);
  // How many of `args` are the launcher's own (the words before the application's).
  static size_t own_count(const std::vector<std::string>& args);
};

}  // namespace upkeep
