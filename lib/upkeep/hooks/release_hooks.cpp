#include "upkeep/hooks/release_hooks.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/hooks/hook_runner.h"
#include "upkeep/platform/fault_injection.h"
#include "upkeep/platform/fs.h"

namespace upkeep {
namespace stdfs = std::filesystem;

namespace {
constexpr int kNotRunExitCode = 126;  // the shell's "found but not executable": the file was refused
}

FileManifest ReleaseHooks::load_manifest(const std::string& version) const {
  auto rec = store_.get(version);
  const stdfs::path file = layout_.manifest_file(version);
  if (!rec || rec->manifest_sha256.empty())
    fail(ErrorCode::kVerification,
         "no signed hash of " + file.string() + " is recorded for version " + version + "; not running its hooks");
  std::string text = fs::read_file(file);
  if (sha256_hex(text) != rec->manifest_sha256)
    fail(ErrorCode::kVerification, file.string() + " does not match its signed hash; not running its hooks");
  return FileManifest::parse(text, file.string());
}

std::string ReleaseHooks::verify_hook_file(const FileManifest& manifest, const HookSpec& hook,
                                           const std::string& version) const {
  const FileEntry* entry = manifest.find(hook.path);  // parse() made sure it is listed
  const stdfs::path file = layout_.version_dir(version) / hook.path;
  std::error_code ec;
  if (!entry || stdfs::symlink_status(file, ec).type() != stdfs::file_type::regular)
    return file.string() + " is missing or not a regular file";
  if (uint32_t mode = fs::file_mode(file); mode != entry->mode) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "mode %04o, the signed manifest says %04o", mode, entry->mode);
    return file.string() + " has " + buf;
  }
  if (stdfs::file_size(file, ec) != entry->size || hash_file_hex(file) != entry->sha256)
    return file.string() + " differs from its signed manifest entry (size or SHA-256)";
  return "";
}

void ReleaseHooks::record_outcome(const HookRun& started, HookRunState state, int exit_code, const std::string& output,
                                  const std::string& detail) {
  std::string event = std::string(hook_kind_name(started.kind)) + " " + started.path + ": " + detail;
  if (started.attempts > 1)
    event += " (start " + std::to_string(started.attempts) + "; an earlier run was interrupted)";
  store_.transaction([&] {
    store_.hook_finished(started.version, started.kind, state, exit_code, output, detail);
    store_.add_event(std::string("hook_") + hook_run_state_name(state), started.version, event);
  });
}

std::optional<HookRun> ReleaseHooks::run(HookKind kind, const std::string& version, const std::string& previous) {
  const FileManifest manifest = load_manifest(version);
  const HookSpec* hook = manifest.hook(kind);
  if (!hook) return std::nullopt;
  if (auto earlier = store_.hook_run(version, kind)) {
    // Succeeded: done for good. Failed or timed out: that outcome was acted on and stands.
    if (earlier->state != HookRunState::kStarted) return earlier;
    spdlog::warn("the {} hook of {} was interrupted (started, no outcome); running it again", hook_kind_name(kind),
                 version);
  }
  const HookRun started = store_.hook_started(version, kind, hook->path);
  // From here a crash leaves "started" recorded: the next run() runs the hook again.
  crash_point("hook.started");
  if (std::string problem = verify_hook_file(manifest, *hook, version); !problem.empty()) {
    spdlog::error("not running the {} hook of {}: {}", hook_kind_name(kind), version, problem);
    record_outcome(started, HookRunState::kFailed, kNotRunExitCode, "", "not run: " + problem);
  } else {
    HookContext context{layout_.root(), layout_.version_dir(version), version, previous};
    HookResult r = HookRunner().run(*hook, context);
    record_outcome(started, r.state, r.exit_code, r.output, r.detail);
  }
  return store_.hook_run(version, kind);
}

std::string describe_hook_run(const HookRun& run) {
  std::string what = std::string("the ") + hook_kind_name(run.kind) + " hook " + run.path + " of " + run.version;
  switch (run.state) {
    case HookRunState::kSucceeded:
      return what + " succeeded";
    case HookRunState::kFailed:
      return what + " failed: " + run.detail;
    case HookRunState::kTimedOut:
      return what + " timed out: " + run.detail;
    case HookRunState::kStarted:
      break;
  }
  return what + " was interrupted (no outcome recorded)";
}

Json hook_run_to_json(const HookRun& run) {
  Json j = Json::object();
  j["version"] = run.version;
  j["kind"] = hook_kind_name(run.kind);
  j["path"] = run.path;
  j["state"] = hook_run_state_name(run.state);
  j["attempts"] = run.attempts;
  j["exit_code"] = run.exit_code;
  j["detail"] = run.detail;
  j["output"] = run.output;
  j["started_at"] = run.started_at;
  j["finished_at"] = run.finished_at;
  return j;
}

}  // namespace upkeep
