// FileManifest: the signed per-file list of a release (files.json).
//
// Each release publishes one manifest listing every regular file of the
// version folder with its relative path, size, SHA-256 and POSIX mode, and
// every symlink with its target. The manifest itself is a TUF target, so its
// hash is signed; through it every file of a version is. Used by the vendor
// tool (build), the stager (check after extraction) and the launcher
// (re-check before promotion).
//
// Format (canonical JSON, entries sorted by path):
//   {"files":[{"mode":493,"path":"bin/app","sha256":"<hex>","size":1234},
//             {"link":"libx.so.1.0","path":"lib/libx.so.1"},...],
//    "format":3,"launch":{...},"version":"1.2.0"}
// Format 1 has files only; format 2 adds a "hooks" object (hook_spec.h);
// format 3 adds symlink entries and the "launch" object (launch_spec.h: the
// program, its arguments, its health rule). A manifest is written in the
// lowest format that holds it, so a release without hooks, links or launch
// stays format 1 and every older client can still install it. All three are
// read; hooks in format 1, links or launch in formats 1 and 2 are refused.
// Paths use '/', are relative, and never contain "", ".", ".." components,
// backslashes or NUL. Directories are implied by the paths. A symlink is
// accepted only when relative and resolving, through further links, to a
// file or folder of the version's own tree (link_resolver.h); any other
// symlink is refused on both sides, naming it.
// Immutable after construction; thread-safe to share.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "upkeep/install/hook_spec.h"
#include "upkeep/install/launch_spec.h"

namespace upkeep {

struct FileEntry {
  std::string path;  // relative, '/'-separated
  uint64_t size = 0;
  std::string sha256;    // lower-case hex
  uint32_t mode = 0644;  // permission bits only
  std::string link;      // a symlink's target as stored; empty: a regular file (size, sha256, mode unused for links)
  bool is_link() const { return !link.empty(); }
};

// Returns true when `p` is a safe relative path as defined above; otherwise
// false and `why` (when given) says what is wrong, e.g. "has a '..' component".
bool is_safe_relative_path(std::string_view p, std::string* why = nullptr);

class FileManifest {
 public:
  enum class Depth {
    kQuick,  // type, size and mode of every file (stat only): cost independent of bytes
    kFull,   // also the SHA-256 of every file's content
  };

  // Strict parse; throws Error(kBadInput) naming `what`, the entry and the field.
  static FileManifest parse(std::string_view json_text, std::string_view what = "files.json");
  // Walks `dir`, hashes every file and reads every symlink's target. Throws
  // Error(kBadInput) naming it for a special file, an unsafe name, a symlink
  // that is absolute or does not resolve inside `dir` (link_resolver.h), a
  // hook that is not an executable file of `dir` (validate_hooks()), and a
  // launch program that is not an executable file of `dir` (or a link to one).
  static FileManifest from_directory(const std::filesystem::path& dir, std::string version,
                                     std::vector<HookSpec> hooks = {}, std::optional<LaunchSpec> launch = std::nullopt);

  const std::string& version() const { return version_; }
  // Every entry, regular files and symlinks (FileEntry::is_link()), sorted by path.
  const std::vector<FileEntry>& files() const { return files_; }
  const std::vector<HookSpec>& hooks() const { return hooks_; }
  // The hook of `kind`, or nullptr when the release declares none.
  const HookSpec* hook(HookKind kind) const;
  // The release's program, arguments and health rule (format 3), if declared.
  const std::optional<LaunchSpec>& launch() const { return launch_; }
  const FileEntry* find(std::string_view path) const;
  uint64_t total_size() const;  // of the regular files
  // The regular file `path` names, following links (LinkResolver::resolve);
  // nullptr for a folder. Throws Error(kBadInput) when it does not resolve.
  const FileEntry* resolve(std::string_view path) const;

  std::string to_json() const;  // canonical JSON, as signed

  // SHA-256 of the exact set of names a version folder must hold: every
  // listed file and every directory its paths imply, with their types, and
  // every symlink with its target (the one readlink per link). The
  // stager records it when it stages; apply compares listing_digest_of()
  // the staged folder with it: one read per folder, no per-file stat.
  std::string listing_digest() const;
  static std::string listing_digest_of(const std::filesystem::path& dir);

  // Checks `dir` holds exactly the listed files and symlinks (no more, no
  // fewer): files with matching size, mode and (kFull) content, symlinks
  // (lstat, never followed) with the signed target string. A file where a
  // link should be, or a link where a file should be, differs. Throws
  // Error(kVerification) naming the first entry that differs and how.
  void verify_directory(const std::filesystem::path& dir, Depth depth) const;

 private:
  std::string version_;
  std::vector<FileEntry> files_;  // sorted by path
  std::vector<HookSpec> hooks_;   // sorted by kind
  std::optional<LaunchSpec> launch_;
};

}  // namespace upkeep
