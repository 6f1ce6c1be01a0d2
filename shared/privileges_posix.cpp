#include <unistd.h>

#include "privileges.h"

namespace upkeep {

bool running_as_administrator() { return geteuid() == 0; }

}  // namespace upkeep
