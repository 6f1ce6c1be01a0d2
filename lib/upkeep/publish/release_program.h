// ReleaseProgram: the program a release declares, from `upkeep release
// --program REL/PATH [--arg ARG]... [--health RULE]`, signed as the launch
// spec of its files.json (launch_spec.h, manifest.h format 3).
//
// declare() checks the option values and, without --program, picks the one
// executable regular file at the top level of the build folder. Whether the
// named program is an executable file of the folder (or a link to one) is
// FileManifest::from_directory's check, made when the manifest is built.
// Plain function; thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "upkeep/install/launch_spec.h"

namespace upkeep::publish {

struct ReleaseProgram {
  LaunchSpec launch;
  bool only_executable = false;  // chosen without --program: the folder's one top-level executable

  // Error(kUsage) for a --program that is not a safe relative path, a --health
  // that is not a rule, an --arg longer than 4096 bytes or too many of them;
  // and, without --program, when the top level of `build_dir` holds no or
  // several executable files (the message lists the candidates and says to
  // name one with --program).
  static ReleaseProgram declare(const std::filesystem::path& build_dir, const std::optional<std::string>& program,
                                const std::vector<std::string>& args, const std::string& health);
};

}  // namespace upkeep::publish
