#include "app_starter.h"

#include <spdlog/spdlog.h>

#include "upkeep/base/error.h"
#include "upkeep/base/launch_env.h"

namespace upkeep {

std::vector<std::string> AppStarter::command(const std::string& version) const {
  std::vector<std::string> argv{(layout_.version_dir(version) / main_program_).string()};
  argv.insert(argv.end(), app_args_.begin(), app_args_.end());
  return argv;
}

process::Environment AppStarter::environment(const std::string& version, const process::Environment& extra) const {
  process::Environment env = process::current_environment();
  for (const char* k : {env::kTrial, env::kHealthFd, env::kPreviousVersion}) env.erase(k);
  env[env::kRoot] = layout_.root().string();
  env[env::kVersion] = version;
  env[env::kLauncher] = launcher_;
  for (const auto& [k, v] : extra) env[k] = v;
  return env;
}

void AppStarter::exec(const std::string& version, const process::Environment& extra) const {
  spdlog::default_logger()->flush();
  process::exec_replace(command(version), environment(version, extra));
  throw Error(ErrorCode::kNoRunnableVersion, "exec returned");  // exec_replace throws on failure
}

}  // namespace upkeep
