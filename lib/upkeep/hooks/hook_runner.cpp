#include "upkeep/hooks/hook_runner.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "upkeep/base/error.h"
#include "upkeep/base/launch_env.h"
#include "upkeep/platform/process.h"

namespace upkeep {
namespace {

// Length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0.
size_t utf8_sequence(std::string_view s, size_t i) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = at(i);
  size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c == 0xE0) lo = 0xA0;
  if (c == 0xED) hi = 0x9F;
  if (c == 0xF0) lo = 0x90;
  if (c == 0xF4) hi = 0x8F;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
  return n;
}

}  // namespace

std::string printable_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      out += (c >= 0x20 && c != 0x7f) || c == '\n' || c == '\t' ? static_cast<char>(c) : '?';
      ++i;
    } else if (size_t n = utf8_sequence(bytes, i)) {
      out.append(bytes.substr(i, n));
      i += n;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

HookResult HookRunner::run(const HookSpec& hook, const HookContext& context) const {
  const char* kind = hook_kind_name(hook.kind);
  if (hook.timeout_seconds < 1) fail(ErrorCode::kUsage, std::string("the ") + kind + " hook has no time limit");
  process::SpawnOptions spawn;
  spawn.argv = {(context.version_dir / hook.path).string(), kind};
  spawn.cwd = context.version_dir;
  spawn.env = process::current_environment();
  // A hook is not the main program on trial: it gets none of the trial's variables.
  for (const char* k : {env::kTrial, env::kHealthFd, env::kPreviousVersion, env::kLauncher}) spawn.env.erase(k);
  spawn.env[env::kHook] = kind;
  spawn.env[env::kRoot] = context.root.string();
  spawn.env[env::kVersion] = context.version;
  if (hook.kind == HookKind::kUpdate && !context.previous_version.empty())
    spawn.env[env::kPreviousVersion] = context.previous_version;

  spdlog::info("running the {} hook {} of {} (time limit {} s)", kind, hook.path, context.version,
               hook.timeout_seconds);
  HookResult r;
  try {
    process::CapturedRun run = process::run_captured(spawn, std::chrono::seconds(hook.timeout_seconds), tail_bytes_);
    r.output = printable_utf8(run.output_tail);
    r.exit_code = run.status.as_exit_code();
    if (run.timed_out) {
      r.state = HookRunState::kTimedOut;
      r.detail = "still running after its " + std::to_string(hook.timeout_seconds) +
                 " s time limit (its process group was killed)";
    } else {
      r.state = run.status.success() ? HookRunState::kSucceeded : HookRunState::kFailed;
      r.detail = run.status.describe();
    }
  } catch (const Error& e) {
    r.state = HookRunState::kFailed;
    r.exit_code = 127;
    r.detail = e.what();
  }
  auto level = r.succeeded() ? spdlog::level::info : spdlog::level::warn;
  spdlog::log(level, "the {} hook {} of {}: {}", kind, hook.path, context.version, r.detail);
  // A success's output matters less: the file log keeps it (debug), the console does not.
  std::string_view shown(r.output);
  while (!shown.empty() && shown.back() == '\n') shown.remove_suffix(1);
  if (!shown.empty())
    spdlog::log(r.succeeded() ? spdlog::level::debug : level, "its output (last {} bytes):\n{}", r.output.size(),
                shown);
  return r;
}

}  // namespace upkeep
