// BuildVersion: the version a file of a build folder states, for
// `upkeep release --version-from REL/PATH` and `upkeep watch
// --version-from`, the one place that reads it.
//
// REL/PATH must be relative and stay inside the build folder, also through
// symlinks. A program file (exe, dll, apk, ELF: fileinfo/program_version.h)
// gives the version it states; any other file its first line, which must be
// a version (a VERSION file beside a script app). Stateless: any thread.
// Throws Error(kUsage) for a path that is absolute or climbs out,
// kBadInput for one that leads out through a link, a malformed program
// file or a first line that is no version, kNotFound for a program file
// that states no version or a missing file.
#pragma once

#include <filesystem>
#include <string>

#include "upkeep/fileinfo/program_version.h"

namespace upkeep::publish {

class BuildVersion {
 public:
  static fileinfo::ProgramVersion read(const std::filesystem::path& build_dir, const std::string& rel_path);
  // Error(kUsage) unless `rel_path` is relative and does not climb out (no file is read).
  static std::filesystem::path check_relative(const std::string& rel_path);
};

}  // namespace upkeep::publish
