// FileManifest: the signed per-file list of a release (files.json).
//
// Each release publishes one manifest listing every regular file of the
// version folder with its relative path, size, SHA-256 and POSIX mode. The
// manifest itself is a TUF target, so its hash is signed; through it every
// file of a version is. Used by the vendor tool (build), the stager (check
// after extraction) and the launcher (re-check before promotion).
//
// Format (canonical JSON, files sorted by path):
//   {"files":[{"mode":493,"path":"bin/app","sha256":"<hex>","size":1234},...],
//    "format":1,"version":"1.2.0"}
// A release that declares hooks (hook_spec.h) is written as format 2 with a
// "hooks" object; one without stays format 1, so every client that reads
// format 1 can still install it. Both formats are read.
// Paths use '/', are relative, and never contain "", ".", ".." components,
// backslashes or NUL. Directories are implied by the paths. Symlinks are not
// part of a release (refused on both sides).
// Immutable after construction; thread-safe to share.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "upkeep/install/hook_spec.h"

namespace upkeep {

struct FileEntry {
  std::string path;  // relative, '/'-separated
  uint64_t size = 0;
  std::string sha256;    // lower-case hex
  uint32_t mode = 0644;  // permission bits only
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
  // Walks `dir` and hashes every file. Throws Error(kBadInput) for a symlink,
  // a special file or an unsafe name, naming it, and for a hook that is not
  // an executable file of `dir` (validate_hooks()).
  static FileManifest from_directory(const std::filesystem::path& dir, std::string version,
                                     std::vector<HookSpec> hooks = {});

  const std::string& version() const { return version_; }
  const std::vector<FileEntry>& files() const { return files_; }
  const std::vector<HookSpec>& hooks() const { return hooks_; }
  // The hook of `kind`, or nullptr when the release declares none.
  const HookSpec* hook(HookKind kind) const;
  const FileEntry* find(std::string_view path) const;
  uint64_t total_size() const;

  std::string to_json() const;  // canonical JSON, as signed

  // SHA-256 of the exact set of names a version folder must hold: every
  // listed file and every directory its paths imply, with their types. The
  // stager records it when it stages; apply compares listing_digest_of()
  // the staged folder with it: one read per folder, no per-file stat.
  std::string listing_digest() const;
  static std::string listing_digest_of(const std::filesystem::path& dir);

  // Checks `dir` holds exactly the listed files (no more, no fewer, no
  // symlinks) with matching size, mode and (kFull) content. Throws
  // Error(kVerification) naming the first file that differs and how.
  void verify_directory(const std::filesystem::path& dir, Depth depth) const;

 private:
  std::string version_;
  std::vector<FileEntry> files_;  // sorted by path
  std::vector<HookSpec> hooks_;   // sorted by kind
};

}  // namespace upkeep
