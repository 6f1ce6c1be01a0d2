// Helpers for the managed-policy tests: an environment given as a map.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "upkeep/policy/update_settings.h"

namespace upkeep::test {

// An EnvLookup that knows only `vars` (the process environment is not read).
inline EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace upkeep::test
