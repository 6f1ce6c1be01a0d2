// StateRecovery: the one rule for a damaged state.db, used by every
// program that opens the store to write (launcher, updater, repair,
// installer, privileged apply).
//
// open() checks state.db (StateStore::damage: not a database, corrupt, a
// failed quick_check, a folder in its place). When it is damaged, under
// <root>/.state-recovery.lock (so that two processes never move the same
// file, or a new good one, aside) and after checking again, it renames
// state.db and its -wal and -shm to state.db.damaged-<UTC time>[-wal|-shm],
// kept for a person to inspect. A new, empty store is then filled from
// what the root holds (also for a state.db that was deleted or left
// empty): every versions/<v> folder whose manifests/<v>.json names that
// version and whose files match it (FileManifest::verify_directory,
// kQuick) is recorded good, `current` with the newest other one as the
// version to go back to. Unknown states stay conservative: no signed
// manifest hash is recorded (repair fetches the signed manifest again; no
// release hook runs from an unverified manifest), nothing is staged or on
// trial (the updater stages again), failed tries and quarantines start
// over. An event "state_rebuilt" and a warning in the log say what was done.
//
// After open() returns, the store is usable; it throws Error when the file
// cannot be opened for another reason (permissions, a newer schema, disk
// full). One thread (the store it returns is that thread's).
#pragma once

#include <string>

#include "upkeep/install/layout.h"
#include "upkeep/install/state_store.h"

namespace upkeep {

class StateRecovery {
 public:
  explicit StateRecovery(const Layout& layout) : layout_(layout) {}

  // The install's store, opened to write; a damaged one set aside and rebuilt first.
  StateStore open() const;

 private:
  // Renames state.db (and -wal, -shm) aside; returns the new name of state.db.
  std::string move_aside(const std::string& why) const;
  // Records what the folders show; returns how many versions were recorded.
  int rebuild(StateStore& store) const;

  const Layout& layout_;
};

}  // namespace upkeep
