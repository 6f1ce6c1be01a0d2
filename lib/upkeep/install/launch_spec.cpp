#include "upkeep/install/launch_spec.h"

#include <charconv>
#include <system_error>

#include "upkeep/base/error.h"
#include "upkeep/base/json_entry_reader.h"
#include "upkeep/install/manifest.h"
#include "upkeep/platform/fs.h"

namespace upkeep {
namespace {
constexpr size_t kMaxArgs = 256;
constexpr size_t kMaxArgBytes = 4096;
}  // namespace

HealthRule HealthRule::parse(std::string_view text, std::string_view what) {
  auto bad = [&]() -> HealthRule {
    fail(ErrorCode::kBadInput, std::string(what) + " is '" + std::string(text) +
                                   "', expected confirm, running:SECONDS (1.." + std::to_string(kMaxRunningSeconds) +
                                   ") or exit");
  };
  if (text == "confirm") return {Kind::kConfirm, 0};
  if (text == "exit") return {Kind::kExit, 0};
  if (text == "running") return {Kind::kRunning, kDefaultRunningSeconds};
  if (text.substr(0, 8) != "running:") return bad();
  std::string_view digits = text.substr(8);
  int64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || n < 1 || n > kMaxRunningSeconds)
    return bad();
  return {Kind::kRunning, n};
}

std::string HealthRule::to_string() const {
  switch (kind) {
    case Kind::kConfirm:
      return "confirm";
    case Kind::kExit:
      return "exit";
    case Kind::kRunning:
      break;
  }
  return "running:" + std::to_string(seconds);
}

Json LaunchSpec::to_json() const {
  Json j = Json::object();
  j["program"] = program;
  Json a = Json::array();
  for (const auto& s : args) a.push_back(s);
  j["args"] = std::move(a);
  j["health"] = health.to_string();
  return j;
}

LaunchSpec LaunchSpec::from_json(const Json& j, std::string_view what) {
  JsonEntryReader r(std::string(what) + ": launch", j);
  r.only_fields({"args", "health", "program"}, "args, health, program");
  LaunchSpec s;
  s.program = r.string("program");
  std::string why;
  if (!is_safe_relative_path(s.program, &why)) r.bad("program", "'" + s.program + "' " + why);
  const Json& args = r.field("args");
  if (!args.is_array()) r.bad("args", std::string("must be an array, found ") + json_type_name(args.type()));
  if (args.as_array().size() > kMaxArgs) r.bad("args", "has more than " + std::to_string(kMaxArgs) + " entries");
  for (const Json& a : args.as_array()) {
    if (!a.is_string()) r.bad("args", std::string("must hold strings, found ") + json_type_name(a.type()));
    if (a.as_string().size() > kMaxArgBytes || a.as_string().find('\0') != std::string::npos)
      r.bad("args", "holds an argument longer than 4096 bytes or with a NUL byte");
    s.args.push_back(a.as_string());
  }
  s.health = HealthRule::parse(r.string("health"), std::string(what) + ": launch.health");
  return s;
}

void LaunchSpec::save(const std::filesystem::path& file) const { fs::write_file_atomic(file, to_json().dump(0)); }

std::optional<LaunchSpec> LaunchSpec::read(const std::filesystem::path& file) {
  std::string text;
  try {
    text = fs::read_file(file);  // no stat first: this is on the launcher's every start
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kNotFound) return std::nullopt;
    throw;
  }
  return from_json(Json::parse(text, file.string()), file.string());
}

}  // namespace upkeep
