// Undo: what one change to a repository created or replaced, put back as it
// was unless the change commits. Files it created are removed, files it
// replaced get their old content back, folders it created are removed when
// empty; newest first, best effort (the error that caused the undo is what
// the caller reports). Used by the publisher (metadata, release files) and
// the delta builder (blobs, patches). One thread; acts on destruction.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace upkeep::publish {

class Undo {
 public:
  Undo() = default;
  ~Undo();
  Undo(const Undo&) = delete;
  Undo& operator=(const Undo&) = delete;

  // Records `f` when it does not exist yet (an identical leftover stays).
  void file(const std::filesystem::path& f);
  // Records `f`, which this change has just created.
  void created(const std::filesystem::path& f) { files_.push_back(f); }
  // Writes `data` to `f` atomically, recording how to undo it.
  void write(const std::filesystem::path& f, const std::string& data);
  // Creates `rel` below `base`, recording each folder it had to make.
  void make_dirs(const std::filesystem::path& base, const std::filesystem::path& rel);
  // Takes over files and folders another change created (oldest first).
  void adopt(const std::vector<std::filesystem::path>& files, const std::vector<std::filesystem::path>& dirs);
  void commit() { committed_ = true; }

  const std::vector<std::filesystem::path>& created_files() const { return files_; }
  const std::vector<std::filesystem::path>& created_dirs() const { return dirs_; }

 private:
  std::vector<std::filesystem::path> files_;
  std::vector<std::filesystem::path> dirs_;
  std::vector<std::pair<std::filesystem::path, std::string>> restores_;
  bool committed_ = false;
};

}  // namespace upkeep::publish
