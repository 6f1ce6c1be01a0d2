// The subcommands of the `upkeep` vendor/admin tool. Each takes the
// arguments after its name, declares its options once in a CommandLine
// (upkeep/base/command_line.h: its --help comes from the same declaration)
// and returns the process exit code; errors are thrown as upkeep::Error and
// reported by main() through run_command() (once on stderr, and with
// --json as the error object on stdout).
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "upkeep/admin/offline_bundle.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/install/layout.h"

namespace upkeep::cli {

using Args = std::vector<std::string>;

// One `upkeep COMMAND`: what `upkeep --help` lists and main() dispatches (main.cpp).
struct Command {
  const char* name;
  const char* synopsis;  // the arguments after the name, for `upkeep --help`
  const char* summary;
  int (*run)(const Args& args);
};
std::span<const Command> commands();

// Shared by install, uninstall, repair and quarantine (cmd_install.cpp).
// The install root: --prefix DIR, else the scope's root for --app-id ID
// (per user, or per machine with --system); Error(kUsage) without either.
std::filesystem::path install_root_from(const ParsedArgs& args, const std::string& command);
// --silent: errors only on the console, the whole log to --log FILE's folder
// (else the scope's log folder) as <program_name>.log.
void init_silent_logging(const ParsedArgs& args, const std::string& program_name);

// Options several commands share, declared once (common_options.cpp).
void add_install_root_options(CommandLine& c);  // --app-id ID, --system, --prefix DIR
void add_silent_options(CommandLine& c);        // --silent, --log FILE
void add_repository_options(CommandLine& c);    // --keys DIR, --repo DIR, --expires R=D
void add_program_options(CommandLine& c);       // --program REL/PATH, --arg ARG, --health RULE
// The keys every --json result about an install has: "root" (absolute) and
// "app_id" (`app_id`, else config.json's; null when neither says).
void add_install_json(Json& j, const Layout& layout, const std::optional<std::string>& app_id = std::nullopt);

// After `upkeep release` (cmd_bundle.cpp): when `repo_dir` already has the
// latest link of this release's app, channel and platform (made by `upkeep
// bundle`) and the release is newer, a bundle of it replaces the link, with
// the update URL the link had. A failure is a warning on stderr: the release
// stands.
void refresh_latest_after_release(const std::filesystem::path& repo_dir, const admin::BundleFacts& release);

int cmd_keys(const Args& args);               // cmd_keys.cpp:    keys init|add|revoke|rotate-root|list
int cmd_release(const Args& args);            // cmd_release.cpp: release DIR --version V ...
int cmd_refresh_timestamp(const Args& args);  // cmd_refresh_timestamp.cpp: refresh-timestamp
int cmd_serve(const Args& args);              // cmd_serve.cpp:   serve REPO [--port P]
int cmd_install(const Args& args);            // cmd_install.cpp: install --repo URL --prefix DIR
int cmd_uninstall(const Args& args);          // cmd_install.cpp: uninstall --prefix DIR
int cmd_rollout(const Args& args);            // cmd_rollout.cpp: rollout --version V --percent P
int cmd_info(const Args& args);               // cmd_info.cpp:    info URL | --app-id ID
int cmd_mirror(const Args& args);             // cmd_mirror.cpp:  mirror SOURCE_URL DIR
int cmd_bundle(const Args& args);             // cmd_bundle.cpp:  bundle --version V -o FILE
int cmd_repair(const Args& args);             // cmd_repair.cpp:  repair --app-id ID | --prefix DIR
int cmd_quarantine(const Args& args);         // cmd_quarantine.cpp: quarantine [list | clear VERSION]
int cmd_watch(const Args& args);              // cmd_watch.cpp:   watch BUILD_DIR [--once]
int cmd_version_of(const Args& args);         // cmd_version_of.cpp: version-of FILE [--json] [--run-version]
int cmd_compare(const Args& args);            // cmd_compare.cpp: compare A B [--json]
int cmd_doctor(const Args& args);             // cmd_doctor.cpp:  doctor REPO_URL [--json]
int cmd_exit_codes(const Args& args);         // main.cpp:        exit-codes [--json | --markdown]

}  // namespace upkeep::cli
