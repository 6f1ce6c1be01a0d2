#include <unistd.h>

#include "upkeep/platform/privileges.h"

namespace upkeep {

bool running_as_administrator() { return geteuid() == 0; }

}  // namespace upkeep
