// LinkResolver: where a symlink of a version folder leads, judged on the
// names of its manifest alone (FileManifest, manifest.h).
//
// A release may hold relative symlinks (`lib/libx.so.1 -> libx.so.1.0`) that
// resolve, following further links, to a file or folder of the version's
// own tree. The vendor's tool (FileManifest::from_directory) and every
// client (FileManifest::parse) run the same check over the same list, so
// what the vendor could sign is exactly what a client accepts and
// recreates. Each hop is checked: a target that is absolute, climbs above
// the version folder, names nothing the manifest lists (dangling; an empty
// folder is not part of a release either), passes through a file, or loops
// is refused with Error(kBadInput) naming the link and why.
// Borrows the entries (which outlive it); immutable; thread-safe to share.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace upkeep {

struct FileEntry;

// True when `target` may be stored as a link's target: not empty, at most
// 4096 bytes, relative, and every component but '.' and '..' a safe name
// (is_safe_relative_path: no empty component, NUL, control character,
// backslash or ':'); where '..' leads is LinkResolver's question. Otherwise
// false and `why` says what is wrong.
bool is_safe_link_target(std::string_view target, std::string* why = nullptr);

class LinkResolver {
 public:
  static constexpr int kMaxHops = 40;  // as Linux's MAXSYMLINKS

  // `entries` sorted by path (a manifest's files()).
  explicit LinkResolver(const std::vector<FileEntry>& entries);

  // The end of `path` (a name below the version folder, which may pass
  // through links): the regular file's entry, or nullptr for a folder ("" is
  // the version folder itself). Throws Error(kBadInput) "'<path>' <why>".
  const FileEntry* resolve(std::string_view path) const;

  // Resolves every link entry; throws Error(kBadInput)
  // "<what>: link '<path>' -> '<target>' <why>" for the first that fails.
  void check_links(const std::string& what) const;

 private:
  const FileEntry* find(std::string_view path) const;
  // Why `start` does not end at a file or folder of the tree, or nullopt
  // with `end` set (nullptr: a folder).
  std::optional<std::string> why_not(std::string_view start, const FileEntry*& end) const;

  const std::vector<FileEntry>& entries_;
  std::set<std::string, std::less<>> dirs_;  // every folder the paths imply
};

}  // namespace upkeep
