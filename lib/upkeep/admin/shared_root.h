// SharedRoot: makes a per-machine install root usable by every user, none
// of whom may write it (docs/admin-guide.md, "Per-machine installs").
//
// share_with_every_user(): every folder of the root 0755; every file outside
// versions/ and staging/ 0644 (but credentials.json, which stays 0600),
// or 0755 when its owner may run it (the
// launcher, the updater); the files of versions/ and staging/ keep their
// signed modes (manifest.h). Creates the empty <root>/.running (0644) that
// every start of the app holds a shared lock on, and root's updater an
// exclusive one to apply (running_lock.h), when it is missing (never
// replaced: a lock on it may be held). Symlinks are not followed.
// Idempotent: the installer calls it at the end of `install --system`, the
// privileged updater after every apply. Error naming the path on failure.
#pragma once

#include "upkeep/install/layout.h"

namespace upkeep::admin {

void share_with_every_user(const Layout& layout);

}  // namespace upkeep::admin
