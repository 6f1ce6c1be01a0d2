#include "app_starter.h"

#include <spdlog/spdlog.h>

#include "survive.h"
#include "upkeep/base/error.h"
#include "upkeep/base/launch_env.h"
#include "upkeep/platform/running_lock.h"

namespace upkeep {

LaunchSpec AppStarter::spec(const std::string& version) const {
  if (auto spec = LaunchSpec::read(layout_.launch_file(version))) return *spec;
  return LaunchSpec{fallback_program_, {}, HealthRule{}};  // HealthRule{} is running:10
}

std::vector<std::string> AppStarter::command(const std::string& version, const LaunchSpec& spec) const {
  std::vector<std::string> argv{(layout_.version_dir(version) / spec.program).string()};
  argv.insert(argv.end(), spec.args.begin(), spec.args.end());
  argv.insert(argv.end(), app_args_.begin(), app_args_.end());
  return argv;
}

process::Environment AppStarter::environment(const std::string& version, const process::Environment& extra) const {
  process::Environment env = process::current_environment();
  for (const char* k : {env::kTrial, env::kHealthFd, env::kPreviousVersion, env::kReadyFd}) env.erase(k);
  env[env::kRoot] = layout_.root().string();
  env[env::kVersion] = version;
  env[env::kLauncher] = launcher_;
  for (const auto& [k, v] : extra) env[k] = v;
  // Sockets handed over (LISTEN_FDS, at 3, 4, ...) are meant for the program:
  // on exec it keeps our pid; a spawned one gets its own (spawn()).
  if (env.count("LISTEN_FDS")) env["LISTEN_PID"] = std::to_string(process::current_pid());
  return env;
}

void AppStarter::exec(const std::string& version, const process::Environment& extra) const {
  std::vector<std::string> argv = command(version, spec(version));
  spdlog::default_logger()->flush();
  try {
    process::exec_replace(argv, environment(version, extra));
  } catch (const Error& e) {
    // The version's program is missing or will not run: nothing installed can start (exit 3), whatever errno said.
    fail(ErrorCode::kNoRunnableVersion, version + ": " + e.what());
  }
  throw Error(ErrorCode::kNoRunnableVersion, "exec returned");  // exec_replace throws on failure
}

int64_t AppStarter::spawn(const std::string& version, const LaunchSpec& spec, const process::Environment& extra,
                          const std::vector<std::pair<int, int>>& move_fds) const {
  process::SpawnOptions options;
  options.argv = command(version, spec);
  options.env = environment(version, extra);
  options.move_fds = move_fds;  // stdin, stdout and stderr are the launcher's own
  options.set_listen_pid = options.env.count("LISTEN_FDS") > 0;
  return process::spawn(options);
}

void AppStarter::hold_running_lock() const {
  survive("cannot hold the running lock", [&] { RunningLock::hold_shared_across_exec(layout_.running_lock_file()); });
}

}  // namespace upkeep
