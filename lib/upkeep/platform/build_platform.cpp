#include "upkeep/platform/build_platform.h"

namespace upkeep {

std::string build_platform() {
#if defined(__linux__)
  std::string os = "linux";
#elif defined(__APPLE__)
  std::string os = "macos";
#elif defined(_WIN32)
  std::string os = "windows";
#else
  std::string os = "unknown";
#endif
#if defined(__x86_64__) || defined(_M_X64)
  return os + "-x86_64";
#elif defined(__aarch64__) || defined(_M_ARM64)
  return os + "-aarch64";
#elif defined(__i386__) || defined(_M_IX86)
  return os + "-x86";
#elif defined(__arm__)
  return os + "-arm";
#else
  return os + "-unknown";
#endif
}

}  // namespace upkeep
