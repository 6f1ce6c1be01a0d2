// LaunchSpec: how a release says its program is started and when a start
// counts as healthy. The vendor declares it at release (`upkeep release
// --program REL/PATH [--arg A]... [--health RULE]`); it is signed as the
// "launch" object of the release's files.json (format 3, manifest.h):
//   "launch":{"args":["--x"],"health":"running:10","program":"bin/hello"}
// The stager copies it, once the manifest verified, to the small file
// Layout::launch_file(v), which the launcher reads at every start (the
// manifest itself can be megabytes; the fast path must stay cheap).
//
// Health rules (docs/integration.md "A healthy start"):
//   confirm     the app confirms (embeds the library, or writes one byte to
//               $UPKEEP_HEALTH_FD); for apps that do;
//   running:N   alive N seconds (1..3600) = healthy; the default, N = 10;
//   exit        a command-line tool: any ordinary exit is healthy; only
//               evidence that it cannot run at all counts against it.
// Under every rule a confirmation, and an exit with code 0, are healthy.
// Plain values; thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "upkeep/base/json.h"

namespace upkeep {

struct HealthRule {
  // Stored only as text ("confirm", "running:10", "exit"); never as numbers.
  enum class Kind { kConfirm, kRunning, kExit };
  static constexpr int64_t kDefaultRunningSeconds = 10;
  static constexpr int64_t kMaxRunningSeconds = 3600;

  Kind kind = Kind::kRunning;
  int64_t seconds = kDefaultRunningSeconds;  // kRunning only

  // "confirm", "running" (default seconds), "running:N", "exit"; anything
  // else is Error(kBadInput) "<what> is 'x', expected confirm, running:SECONDS or exit".
  static HealthRule parse(std::string_view text, std::string_view what = "health rule");
  std::string to_string() const;
  bool operator==(const HealthRule&) const = default;
};

struct LaunchSpec {
  std::string program;            // relative path inside the version folder (is_safe_relative_path)
  std::vector<std::string> args;  // passed before the caller's arguments
  HealthRule health;

  Json to_json() const;
  // Strict: unknown fields, wrong types, an unsafe program path or a bad
  // rule are Error(kBadInput) naming `what` and the field.
  static LaunchSpec from_json(const Json& j, std::string_view what);

  // The launcher's copy (Layout::launch_file): written atomically; read()
  // returns nullopt when the file does not exist (a version staged before
  // releases declared their program) and throws Error(kBadInput) naming
  // the file when it is damaged.
  void save(const std::filesystem::path& file) const;
  static std::optional<LaunchSpec> read(const std::filesystem::path& file);
  bool operator==(const LaunchSpec&) const = default;
};

}  // namespace upkeep
