#include "upkeep/tuf/role_keys.h"

#include <set>

#include "upkeep/base/error.h"

namespace upkeep::tuf {

RoleKeys RoleKeys::parse(const Json& j) {
  RoleKeys rk;
  rk.threshold = j.get_int("threshold");
  if (rk.threshold < 1)
    fail(ErrorCode::kBadInput, "field 'threshold' must be at least 1, found " + std::to_string(rk.threshold));
  std::set<std::string> seen;
  for (const auto& id : j.get_array("keyids")) {
    if (!id.is_string())
      fail(ErrorCode::kBadInput, "field 'keyids' must list strings, found " + std::string(json_type_name(id.type())));
    if (!seen.insert(id.as_string()).second)
      fail(ErrorCode::kBadInput, "key id " + id.as_string() + " is listed twice");
    rk.keyids.push_back(id.as_string());
  }
  return rk;
}

void RoleKeys::add_to_json(Json& out) const {
  Json ids = Json::array();
  for (const auto& id : keyids) ids.push_back(id);
  out["keyids"] = ids;
  out["threshold"] = threshold;
}

KeyMap parse_key_map(const Json& keys) {
  if (!keys.is_object())
    fail(ErrorCode::kBadInput, "field 'keys' must be an object, found " + std::string(json_type_name(keys.type())));
  KeyMap out;
  for (const auto& [id, key] : keys.as_object()) out[id] = PublicKey::from_metadata(key, "keys." + id);
  return out;
}

Json key_map_json(const KeyMap& keys) {
  Json j = Json::object();
  for (const auto& [id, key] : keys) j[id] = key->to_json();
  return j;
}

}  // namespace upkeep::tuf
