// AppStarter: how the launcher starts one version of the application.
//
// What runs is the version's signed launch record (LaunchSpec, read from
// Layout::launch_file(v) at every start; a version staged before releases
// declared their program falls back to config.json's main_program with the
// rule running:10): versions/<v>/<program> <its args...> <the caller's
// args...>, with stdin, stdout and stderr untouched, in the launcher's
// environment plus UPKEEP_ROOT, UPKEEP_VERSION, UPKEEP_LAUNCHER and what
// the caller adds (a parent trial's variables removed). Listening sockets
// the launcher inherited (LISTEN_FDS, fds 3, 4, ...; LISTEN_FDNAMES) pass
// on to the program with LISTEN_PID set to the program's pid. The one place both
// the normal start (exec) and the trial's start (spawn) take them from.
// Before either, the launcher (Launcher::run, once) holds the shared lock of
// a per-machine install's .running file (running_lock.h), inherited by the
// application. Immutable after construction; one thread. exec() does
// not return: it replaces the launcher, or throws Error.
#pragma once

#include <string>
#include <vector>

#include "upkeep/install/launch_spec.h"
#include "upkeep/install/layout.h"
#include "upkeep/platform/process.h"

namespace upkeep {

class AppStarter {
 public:
  AppStarter(const Layout& layout, std::string launcher_path, std::string fallback_program,
             std::vector<std::string> app_args)
      : layout_(layout),
        launcher_(std::move(launcher_path)),
        fallback_program_(std::move(fallback_program)),
        app_args_(std::move(app_args)) {}

  // The version's launch record; Error(kBadInput) naming the file when it is damaged.
  LaunchSpec spec(const std::string& version) const;
  std::vector<std::string> command(const std::string& version, const LaunchSpec& spec) const;
  process::Environment environment(const std::string& version, const process::Environment& extra = {}) const;

  // Replaces the launcher with `version`'s program (the caller sees its exit status).
  [[noreturn]] void exec(const std::string& version, const process::Environment& extra = {}) const;
  // Starts `version`'s program as a child that gets the descriptors of
  // `move_fds` (SpawnOptions); Error naming it when it cannot be started.
  int64_t spawn(const std::string& version, const LaunchSpec& spec, const process::Environment& extra,
                const std::vector<std::pair<int, int>>& move_fds) const;

  // Takes the shared .running lock (a no-op without the file); a failure is
  // logged and never stops the start. Once, before exec() or spawn().
  void hold_running_lock() const;

 private:
  const Layout& layout_;
  std::string launcher_;
  std::string fallback_program_;
  std::vector<std::string> app_args_;
};

}  // namespace upkeep
