#include "upkeep/fileinfo/version_probe.h"

#include <spdlog/spdlog.h>

#include <cctype>

#include "upkeep/base/error.h"
#include "upkeep/base/version.h"
#include "upkeep/platform/process.h"

namespace upkeep::fileinfo {

namespace {

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// The token starting at `start` (a digit): the longest run of version characters that parses as a
// Version with a dot, else its leading digits and dots ("5.2.15(1)-release" -> "5.2.15").
std::optional<std::string> version_at(std::string_view line, size_t start) {
  size_t end = start;
  while (end < line.size() && (is_alnum(line[end]) || line[end] == '.' || line[end] == '-' || line[end] == '+')) ++end;
  std::string_view token = line.substr(start, end - start);
  while (!token.empty() && !is_alnum(token.back())) token.remove_suffix(1);
  auto with_dot = [](std::string_view t) { return t.find('.') != std::string_view::npos && Version::parse(t); };
  if (with_dot(token)) return std::string(token);
  size_t numeric = 0;
  while (numeric < token.size() && (is_digit(token[numeric]) || token[numeric] == '.')) ++numeric;
  std::string_view digits = token.substr(0, numeric);
  while (!digits.empty() && digits.back() == '.') digits.remove_suffix(1);
  if (with_dot(digits)) return std::string(digits);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> VersionProbe::first_version_token(std::string_view line) {
  for (size_t i = 0; i < line.size(); ++i) {
    if (!is_digit(line[i])) continue;
    // A token starts after a non-alphanumeric character, or after a 'v' that does ("v1.2.3").
    const bool after_v = i > 0 && (line[i - 1] == 'v' || line[i - 1] == 'V') && (i == 1 || !is_alnum(line[i - 2]));
    if (i > 0 && is_alnum(line[i - 1]) && !after_v) continue;
    if (auto v = version_at(line, i)) return v;
  }
  return std::nullopt;
}

std::string VersionProbe::run(const std::filesystem::path& program, std::chrono::milliseconds timeout) {
  const std::string name = program.string();
  process::SpawnOptions o;
  o.argv = {std::filesystem::absolute(program).string(), "--version"};
  o.env = process::current_environment();
  o.stderr_null = true;
  spdlog::info("running '{} --version' to read its version (time limit {} ms)", name, timeout.count());
  const process::CapturedRun r = process::run_captured(o, timeout, kMaxOutputBytes);
  if (r.timed_out)
    fail(ErrorCode::kFailure, name + " --version: still running after " + std::to_string(timeout.count()) +
                                  " ms (ended); expected it to print its version and exit");
  if (!r.status.success())
    fail(ErrorCode::kFailure, name + " --version: " + r.status.describe() + "; expected exit code 0");
  if (r.output_bytes > kMaxOutputBytes)
    fail(ErrorCode::kBadInput, name + " --version: printed " + std::to_string(r.output_bytes) +
                                   " bytes; expected a version line (at most 64 KiB in all)");
  const std::string_view out = r.output_tail;
  const std::string_view first = out.substr(0, out.find('\n'));
  if (auto v = first_version_token(first)) return *v;
  fail(ErrorCode::kBadInput, name + " --version: its first line '" + std::string(first.substr(0, 200)) +
                                 "' holds no version; expected a token like 1.2.3");
}

}  // namespace upkeep::fileinfo
