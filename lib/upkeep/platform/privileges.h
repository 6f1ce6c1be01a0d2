// Whether this process runs with the machine administrator's rights (root on
// POSIX). Per-machine installs need them. Thread-safe.
#pragma once

namespace upkeep {

bool running_as_administrator();

}  // namespace upkeep
