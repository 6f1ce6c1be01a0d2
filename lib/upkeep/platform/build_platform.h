// The platform name of this build, e.g. "linux-x86_64": the vendor tool
// publishes releases under it and clients select releases by it.
#pragma once

#include <string>

namespace upkeep {

std::string build_platform();

}  // namespace upkeep
