// LocalContent: the file contents this installation already holds, by
// SHA-256, so a delta update fetches only what is missing.
//
// Built from the signed manifests of the version folders in versions/ (the
// current version first) and from files already rebuilt by an interrupted
// delta download. A listed file is a *claim*: whoever uses one checks what
// it reads against the signed hash it wants (a local file may have been
// changed since it was installed). One thread; immutable once built.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>

#include "upkeep/install/layout.h"

namespace upkeep {

struct LocalFile {
  std::filesystem::path path;
  uint64_t size = 0;
  uint32_t mode = 0644;
};

class LocalContent {
 public:
  // Every version folder with a readable manifest; a version whose manifest
  // is missing or malformed is skipped (logged), never an error.
  // `without` leaves one version out (repair: the damaged one).
  static LocalContent of_install(const Layout& layout, const std::string& without = "");

  // The first file added for a content wins (the current version's).
  void add(const std::string& sha256, LocalFile f);
  // Adds the files of `dir` named by their content hash (rebuilt objects).
  void add_objects(const std::filesystem::path& dir);
  const LocalFile* find(std::string_view sha256) const;
  size_t size() const { return files_.size(); }

 private:
  std::unordered_map<std::string, LocalFile> files_;
};

}  // namespace upkeep
