// The keys a role is trusted with: a key map (key id -> public key) and a
// role's key ids plus signature threshold. Shared by root metadata (the
// top-level roles) and delegations (delegated targets roles): one parser,
// one rule for key ids.
//
// Key ids are identifiers (TUF 1.0.31 section 4.2 tells a repository how to
// make them; a client uses them as given): they are never recomputed or
// compared with a hash of the key, so ids made with other hash algorithms,
// over a key form with extra fields, or any other string all work.
// Signatures are matched to keys by the key id they carry, and
// count_valid_signatures() (tuf/metadata.h) counts distinct keys, so one key
// listed under two ids still counts once.
// Plain data: share read-only between threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "upkeep/base/json.h"
#include "upkeep/tuf/keys.h"

namespace upkeep::tuf {

using KeyMap = std::map<std::string, std::shared_ptr<const PublicKey>, std::less<>>;

struct RoleKeys {
  std::vector<std::string> keyids;
  int64_t threshold = 1;

  // {"keyids": [...], "threshold": N}: ids are unique strings, the
  // threshold at least 1; Error(kBadInput) naming the field otherwise.
  static RoleKeys parse(const Json& j);
  // Adds "keyids" and "threshold" to `out`.
  void add_to_json(Json& out) const;
};

// A "keys" object: key id -> key (PublicKey::from_metadata: a key of a type
// or scheme this client cannot use is kept but never verifies, with a
// warning). Error(kBadInput) "keys.ID: ..." for a value that is not a key object.
KeyMap parse_key_map(const Json& keys);
Json key_map_json(const KeyMap& keys);

}  // namespace upkeep::tuf
