// TempSweeper: removes the temporary files that interrupted atomic writes
// left in an install root (fs::write_file_atomic and fs::replace_symlink
// write NAME.tmp-<pid>-<n> beside NAME, then rename it: a crash or kill
// between the two leaves it, e.g. .pending.tmp-4711-123).
//
// The rule: only names of exactly that form, only in the folders our
// atomic writes use (the root, trust/, manifests/), and only when the
// process named in it is no longer running (another writer's file being
// written right now is never touched) and the file is older than the time
// the caller passes (its own start), which also covers a writer whose pid
// this process cannot see. Version folders and staging/ are not looked
// at (immutable, and cleaned up by the applier). Failures are logged and
// ignored. Called by the launcher's slow path and by upkeep-updater, at
// their start, when the root is writable; the rule needs no lock. One thread.
#pragma once

#include <filesystem>

#include "upkeep/install/layout.h"

namespace upkeep {

class TempSweeper {
 public:
  explicit TempSweeper(const Layout& layout) : layout_(layout) {}

  // Returns how many files were removed.
  int sweep(std::filesystem::file_time_type older_than) const;

  // The pid in NAME.tmp-<pid>-<n>, or 0 when `file_name` is not of that form.
  static long long writer_pid(const std::string& file_name);

 private:
  const Layout& layout_;
};

}  // namespace upkeep
