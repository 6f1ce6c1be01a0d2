#include "upkeep/publish/release_program.h"

#include <algorithm>

#include "upkeep/base/error.h"
#include "upkeep/install/manifest.h"

namespace upkeep::publish {
namespace stdfs = std::filesystem;

namespace {

constexpr size_t kMaxCandidatesShown = 10;

bool is_executable_file(const stdfs::directory_entry& e) {
  std::error_code ec;
  const stdfs::file_status st = e.symlink_status(ec);
  constexpr auto any_x = stdfs::perms::owner_exec | stdfs::perms::group_exec | stdfs::perms::others_exec;
  return !ec && st.type() == stdfs::file_type::regular && (st.permissions() & any_x) != stdfs::perms::none;
}

// The executable regular files at the top of `dir` or (`deep`) anywhere below it, sorted.
std::vector<std::string> executables(const stdfs::path& dir, bool deep) {
  std::vector<std::string> out;
  std::error_code ec;
  auto add = [&](const stdfs::directory_entry& e) {
    if (is_executable_file(e)) out.push_back(e.path().lexically_relative(dir).generic_string());
  };
  if (deep) {
    for (const auto& e : stdfs::recursive_directory_iterator(dir, ec)) add(e);
  } else {
    for (const auto& e : stdfs::directory_iterator(dir, ec)) add(e);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < kMaxCandidatesShown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > kMaxCandidatesShown) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

// Without --program: the one executable at the top of the folder.
std::string sole_top_executable(const stdfs::path& dir) {
  std::error_code ec;
  if (!stdfs::is_directory(dir, ec)) fail(ErrorCode::kNotFound, dir.string() + ": not a folder");
  const std::vector<std::string> top = executables(dir, false);
  if (top.size() == 1) return top.front();
  const char* how = " Name the program the launcher starts with --program REL/PATH.";
  if (top.size() > 1)
    fail(ErrorCode::kUsage, dir.string() + " holds " + std::to_string(top.size()) +
                                " executable files at its top level (" + listed(top) + ")." + how);
  const std::vector<std::string> deeper = executables(dir, true);
  fail(ErrorCode::kUsage, dir.string() + " holds no executable file at its top level" +
                              (deeper.empty() ? std::string(" (nor anywhere below it: is its x bit set?).")
                                              : " (executables below it: " + listed(deeper) + ").") +
                              how);
}

}  // namespace

ReleaseProgram ReleaseProgram::declare(const stdfs::path& build_dir, const std::optional<std::string>& program,
                                       const std::vector<std::string>& args, const std::string& health) {
  ReleaseProgram out;
  try {
    out.launch.health = HealthRule::parse(health, "--health");
  } catch (const Error& e) {
    fail(ErrorCode::kUsage, e.what());
  }
  if (program) {
    std::string why;
    if (!is_safe_relative_path(*program, &why))
      fail(ErrorCode::kUsage, "--program '" + *program + "' " + why +
                                  " (expected a path relative to the build folder, "
                                  "e.g. bin/app)");
    out.launch.program = *program;
  } else {
    out.launch.program = sole_top_executable(build_dir);
    out.only_executable = true;
  }
  out.launch.args = args;
  try {
    LaunchSpec::from_json(out.launch.to_json(), "--arg");  // the one strict check of what a client accepts
  } catch (const Error& e) {
    fail(ErrorCode::kUsage, e.what());
  }
  return out;
}

}  // namespace upkeep::publish
