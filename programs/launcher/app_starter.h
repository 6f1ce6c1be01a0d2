// AppStarter: how the launcher starts one version of the application: its
// command line (the version's main program, then the caller's arguments)
// and its environment (UPKEEP_ROOT, UPKEEP_VERSION, UPKEEP_LAUNCHER, plus
// what the caller adds, without a parent trial's variables). The one place
// both the normal start (exec) and the trial's start (spawn) take them from.
// Immutable after construction; any thread. exec() does not return: it
// replaces the launcher, or throws Error(kNoRunnableVersion).
#pragma once

#include <string>
#include <vector>

#include "upkeep/install/layout.h"
#include "upkeep/platform/process.h"

namespace upkeep {

class AppStarter {
 public:
  AppStarter(const Layout& layout, std::string launcher_path, std::string main_program,
             std::vector<std::string> app_args)
      : layout_(layout),
        launcher_(std::move(launcher_path)),
        main_program_(std::move(main_program)),
        app_args_(std::move(app_args)) {}

  std::vector<std::string> command(const std::string& version) const;
  process::Environment environment(const std::string& version, const process::Environment& extra = {}) const;
  // Replaces the launcher with `version`'s main program (the caller sees its exit code).
  [[noreturn]] void exec(const std::string& version, const process::Environment& extra = {}) const;

 private:
  const Layout& layout_;
  std::string launcher_;
  std::string main_program_;
  std::vector<std::string> app_args_;
};

}  // namespace upkeep
