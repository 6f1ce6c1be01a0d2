// The keys a role is trusted with: a key map (key id -> public key) and a
// role's key ids plus signature threshold. Shared by root metadata (the
// top-level roles) and delegations (delegated targets roles).
// Plain data: share read-only between threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "upkeep/tuf/keys.h"

namespace upkeep::tuf {

using KeyMap = std::map<std::string, std::shared_ptr<const PublicKey>, std::less<>>;

struct RoleKeys {
  std::vector<std::string> keyids;
  int64_t threshold = 1;
};

}  // namespace upkeep::tuf
