// PendingMarker: <root>/.pending, the launcher's one-stat answer to "is
// there work for me?".
//
// It is set durably before any state change that gives the launcher work
// (a staged version, an install), and cleared only when the state store
// holds none, so "no marker" always means "nothing to do": the launcher's
// fast path is one stat, one readlink and one exec. A marker without work
// costs one look at the state store, which then clears it.
//
// Holds a reference to the caller's Layout; any thread. After set() returns
// the marker exists durably; after clear_if_idle() returns it is gone unless
// the store has work. Both throw Error on I/O failure with nothing changed
// but the marker itself.
#pragma once

#include <filesystem>

#include "upkeep/install/layout.h"
#include "upkeep/install/state_store.h"

namespace upkeep {

class PendingMarker {
 public:
  explicit PendingMarker(const Layout& layout) : layout_(layout) {}

  // One stat and nothing else: the launcher's fast path asks this.
  bool is_set() const { return std::filesystem::exists(layout_.pending_marker()); }
  // Creates the marker durably (idempotent). Called before the state change it announces.
  void set() const;
  // Removes the marker when `store` has no pending work (StateStore::has_pending_work).
  void clear_if_idle(const StateStore& store) const;

 private:
  const Layout& layout_;
};

}  // namespace upkeep
