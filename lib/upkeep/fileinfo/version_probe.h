// VersionProbe: the version a program prints for `PROGRAM --version`, the
// fallback `upkeep version-of --run-version` uses for an ELF program
// without a version note. It EXECUTES the file: only for a program one
// trusts, and only when asked explicitly.
//
// The program runs in its own process group with empty stdin (the null
// device), its stderr discarded, for at most `timeout` (then its group is
// ended). The first line of its stdout must hold a version-like token
// (digits with at least one dot, e.g. "tool 1.4.2 (build 7)" -> "1.4.2").
// Failures: Error(kFailure) when it cannot run, times out or exits non-zero;
// Error(kBadInput) when its first line holds no version. Stateless: safe
// from any thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace upkeep::fileinfo {

struct VersionProbe {
  static constexpr size_t kMaxOutputBytes = 64 * 1024;

  // Runs `program --version`; returns the version token of its first line of stdout.
  static std::string run(const std::filesystem::path& program, std::chrono::milliseconds timeout);
  // The first version-like token of a line, nullopt when there is none.
  static std::optional<std::string> first_version_token(std::string_view line);
};

}  // namespace upkeep::fileinfo
