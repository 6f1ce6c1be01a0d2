// ProgramVersion: the version a program file states about itself, whatever
// its kind, and read_program_version(), which picks the reader by the
// file's first bytes: "MZ" a Windows PE exe/dll (PeVersionInfo), 0x7f "ELF"
// an ELF program (ElfVersionNote; with run_version, VersionProbe runs it),
// "PK\3\4" an Android APK. What each reads: docs/vendor-guide.md, "Version
// of a program file".
//
// `version` is the one version `upkeep release --version-from` would
// release, always a valid upkeep::Version:
//   pe   the StringFileInfo ProductVersion string when it is a version, else
//        VS_FIXEDFILEINFO's ProductVersion, else the FileVersion string,
//        else the fixed FileVersion;
//   elf  the .note.upkeep.version note (or, with run_version, the
//        first version token of `PROGRAM --version`).
// Failures throw Error: kNotFound when the file states no version (a PE
// without VERSIONINFO, an ELF without the note), kBadInput when it is not a
// file of a known kind, is malformed or states something that is no
// version. A plain value: safe to share read-only between threads.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "upkeep/base/json.h"

namespace upkeep::fileinfo {

struct ProgramVersion {
  std::string kind;                            // "pe", "elf", "apk"
  std::string version;                         // the version upkeep would release as
  std::string source;                          // where `version` came from, e.g. "StringFileInfo ProductVersion"
  std::optional<std::string> file_version;     // pe: VS_FIXEDFILEINFO FileVersion
  std::optional<std::string> product_version;  // pe: VS_FIXEDFILEINFO ProductVersion
  std::map<std::string, std::string> strings;  // pe: the StringFileInfo strings; apk: versionName, versionCode...

  // {"kind", "version", "source", "file_version", "product_version", "strings": {...}} (absent fields left out).
  Json to_json() const;
};

struct ProgramVersionOptions {
  // An ELF program without the note is run with --version (it EXECUTES the file).
  bool run_version = false;
  std::chrono::milliseconds run_timeout{10000};
};

ProgramVersion read_program_version(const std::filesystem::path& file, const ProgramVersionOptions& options = {});

// True when `file` starts as one of the kinds above (its first bytes only).
bool is_program_file(const std::filesystem::path& file);

// What `upkeep release` records per file (ReleaseFacts::modules): the
// version, or nullopt when the file is of no kind above or states none. A
// malformed file of a known kind is nullopt too, logged as a warning: a
// release never fails for it. Never runs the file; throws only when the
// file cannot be read.
std::optional<ProgramVersion> find_program_version(const std::filesystem::path& file);

}  // namespace upkeep::fileinfo
