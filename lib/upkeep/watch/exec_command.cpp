#include "upkeep/watch/exec_command.h"

#include <spdlog/spdlog.h>

#include "upkeep/base/error.h"
#include "upkeep/platform/process.h"

namespace upkeep::watch {

namespace {
constexpr size_t kTailBytes = 4096;
}

ExecCommand::ExecCommand(std::string command, std::chrono::milliseconds timeout)
    : command_(std::move(command)), timeout_(timeout) {
  if (command_.empty()) fail(ErrorCode::kUsage, "--exec: empty command; expected a shell command line");
}

bool ExecCommand::run(WatchRound& round) {
  process::SpawnOptions o;
  o.argv = {"/bin/sh", "-c", command_};
  o.env = process::current_environment();
  o.env["UPKEEP_WATCH_REPO"] = std::filesystem::absolute(round.repo_dir).string();
  o.env["UPKEEP_WATCH_BUILD"] = std::filesystem::absolute(round.build_dir).string();
  o.env["UPKEEP_WATCH_VERSION"] = round.version;
  const process::CapturedRun r = process::run_captured(o, timeout_, kTailBytes);
  if (!r.output_tail.empty()) spdlog::info("--exec output:\n{}", r.output_tail);
  if (r.timed_out || !r.status.success())
    fail(ErrorCode::kFailure, "--exec '" + command_ + "' " +
                                  (r.timed_out ? "ran out of time" : "failed: " + r.status.describe()) +
                                  "; expected exit 0" +
                                  (r.output_tail.empty() ? std::string(" (it printed nothing)")
                                                         : ". Its output ends with:\n" + r.output_tail));
  Json facts = Json::object();
  facts["command"] = command_;
  facts["exit_code"] = static_cast<int64_t>(0);
  round.steps.push_back({name(), "ran " + command_, facts});
  return true;
}

}  // namespace upkeep::watch
