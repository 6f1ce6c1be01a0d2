// with_trailing_slash: a repository or mirror URL as a base that file names
// are appended to ("https://host/repo" -> "https://host/repo/"). Pure;
// thread-safe. An empty string stays empty (no URL configured).
#pragma once

#include <string>

namespace upkeep {

inline std::string with_trailing_slash(std::string url) {
  if (!url.empty() && url.back() != '/') url += '/';
  return url;
}

}  // namespace upkeep
