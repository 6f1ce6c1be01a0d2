// Trash: what clean-up no longer needs (an old version's folder, a staging
// leftover), moved out of the way in one rename and deleted later by a
// process nobody waits for, so removing tens of thousands of files never
// keeps the launcher (or the application's start) waiting.
//
// <root>/trash/<name>.<unique> holds each entry. move_in() is one rename(2)
// inside the root's file system and an fsync of both folders: instant and
// durable whatever the tree's size. Nothing but empty() looks inside the
// trash: a caller records an entry as gone (state.db `removed`) before it
// moves it in, so a crash at any point leaves either the entry where it
// was (the next clean-up moves it) or a whole or half-deleted entry in the
// trash, which the next empty() finishes. The running version is never
// moved in (Applier::cleanup keeps `current`, its rollback target and both
// versions of an unfinished operation).
//
// empty() deletes every entry while holding <root>/.trash.lock (waiting for
// another emptier first), so two never delete one tree; an entry that
// cannot be deleted is logged and left for the next time. The launcher runs
// it detached and at low priority (empty_in_background(): `launcher
// --upkeep-empty-trash`, never the launcher's or the application's child)
// after every clean-up that left the trash non-empty.
//
// Holds a reference to the caller's Layout; one thread per object. Errors
// throw Error naming the path.
#pragma once

#include <filesystem>

#include "upkeep/install/layout.h"

namespace upkeep {

class Trash {
 public:
  explicit Trash(const Layout& layout) : layout_(layout) {}

  // Renames `path` (a file or a folder of the root) into the trash,
  // durably. A missing `path` is fine (nothing to do); one on another file
  // system than the trash (a mount) is deleted at once instead.
  void move_in(const std::filesystem::path& path) const;
  // True when the trash holds nothing (or does not exist).
  bool is_empty() const;
  // Deletes everything in the trash (above); returns the number of entries deleted.
  size_t empty() const;
  // Starts `launcher --upkeep-empty-trash` detached (its output appended to
  // logs/trash.log) when the trash is not empty, and returns at once.
  void empty_in_background(const std::filesystem::path& launcher) const;

 private:
  const Layout& layout_;
};

}  // namespace upkeep
