#include "upkeep/publish/key_manager.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "upkeep/base/error.h"

namespace upkeep::publish {
namespace {

constexpr size_t kMinIdPrefix = 8;

void check_threshold(const std::string& role, int64_t threshold, size_t keys) {
  if (threshold < 1 || threshold > static_cast<int64_t>(keys))
    fail(ErrorCode::kUsage, "threshold " + std::to_string(threshold) + " of the " + role + " role must be from 1 to " +
                                std::to_string(keys) + " (its number of keys)");
}

}  // namespace

KeyChange KeyManager::apply(const std::string& role, tuf::RootMetadata root,
                            const std::vector<std::unique_ptr<tuf::PrivateKey>>& new_keys,
                            const std::vector<std::string>& removed) {
  std::vector<const tuf::PrivateKey*> signers;
  for (const auto& k : new_keys) signers.push_back(k.get());
  KeyChange change;
  change.threshold = root.role(role).threshold;
  change.removed = removed;
  for (const auto& k : new_keys) change.added.push_back(k->key_id());
  // Everything is signed before anything is written.
  change.update = publisher_.prepare_root_update(std::move(root), signers);

  std::vector<std::filesystem::path> written;
  try {
    for (const auto& k : new_keys) written.push_back(keys_.add_key(role, *k));
    publisher_.write_root_update(change.update);
  } catch (...) {
    std::error_code ec;
    for (const auto& p : written) std::filesystem::remove(p, ec);
    throw;
  }
  // Only now, with the new root published, are the old private keys no
  // longer needed. A root key is kept (retired): until every client has
  // fetched the new root, it is the vendor's to destroy, not ours.
  for (const auto& id : removed) {
    if (role != tuf::kRootRole) {
      keys_.remove_key(role, id);
    } else if (auto path = keys_.retire_key(role, id)) {
      change.retired.push_back(*path);
    }
  }
  return change;
}

KeyChange KeyManager::add_key(const std::string& role, tuf::KeyType type, std::optional<int64_t> threshold) {
  validate_role(role);
  tuf::RootMetadata root = publisher_.current_root();
  auto key = tuf::PrivateKey::generate(type);
  tuf::RoleKeys& r = root.roles[role];
  r.keyids.push_back(key->key_id());
  if (threshold) r.threshold = *threshold;
  check_threshold(role, r.threshold, r.keyids.size());
  root.keys[key->key_id()] = tuf::PublicKey::from_json(key->public_key().to_json());
  std::vector<std::unique_ptr<tuf::PrivateKey>> added;
  added.push_back(std::move(key));
  return apply(role, std::move(root), added, {});
}

KeyChange KeyManager::revoke_key(const std::string& role, const std::string& key_id, std::optional<int64_t> threshold) {
  validate_role(role);
  tuf::RootMetadata root = publisher_.current_root();
  tuf::RoleKeys& r = root.roles[role];
  std::vector<std::string> matches;
  if (key_id.size() >= kMinIdPrefix)
    for (const auto& id : r.keyids)
      if (id.compare(0, key_id.size(), key_id) == 0) matches.push_back(id);
  if (matches.empty())
    fail(ErrorCode::kNotFound, "the " + role + " role has no key " + key_id +
                                   (key_id.size() < kMinIdPrefix ? " (give at least 8 hex digits of the key id)" : "") +
                                   "; run 'upkeep keys list' to see its keys");
  if (matches.size() > 1)
    fail(ErrorCode::kUsage, "key id prefix " + key_id + " matches " + std::to_string(matches.size()) + " keys of the " +
                                role + " role; give more digits");
  const std::string id = matches.front();
  r.keyids.erase(std::remove(r.keyids.begin(), r.keyids.end(), id), r.keyids.end());
  if (threshold) r.threshold = *threshold;
  if (r.keyids.size() < static_cast<size_t>(r.threshold))
    fail(ErrorCode::kUsage, "revoking " + id.substr(0, 16) + " would leave the " + role + " role " +
                                std::to_string(r.keyids.size()) + " key(s), below its threshold of " +
                                std::to_string(r.threshold) +
                                " (add a key first, or lower the threshold with --threshold)");
  check_threshold(role, r.threshold, r.keyids.size());
  return apply(role, std::move(root), {}, {id});
}

KeyChange KeyManager::rotate_root(tuf::KeyType type, int count, int64_t threshold) {
  if (count < 1 || count > 16) fail(ErrorCode::kUsage, "the number of new root keys must be from 1 to 16");
  check_threshold(tuf::kRootRole, threshold, static_cast<size_t>(count));
  tuf::RootMetadata root = publisher_.current_root();
  std::vector<std::string> old_ids = root.role(tuf::kRootRole).keyids;
  std::vector<std::unique_ptr<tuf::PrivateKey>> fresh;
  tuf::RoleKeys& r = root.roles[tuf::kRootRole];
  r.keyids.clear();
  r.threshold = threshold;
  for (int i = 0; i < count; ++i) {
    auto key = tuf::PrivateKey::generate(type);
    r.keyids.push_back(key->key_id());
    root.keys[key->key_id()] = tuf::PublicKey::from_json(key->public_key().to_json());
    fresh.push_back(std::move(key));
  }
  return apply(tuf::kRootRole, std::move(root), fresh, old_ids);
}

std::vector<RoleInfo> KeyManager::describe() const {
  tuf::RootMetadata root = publisher_.current_root();
  std::vector<RoleInfo> out;
  for (const char* role : tuf::kTopLevelRoles) {
    std::set<std::string> present;
    for (const auto& k : keys_.load_keys(role)) present.insert(k->key_id());
    RoleInfo info;
    info.role = role;
    info.threshold = root.role(role).threshold;
    for (const auto& id : root.role(role).keyids) {
      auto it = root.keys.find(id);
      info.keys.push_back({id, it == root.keys.end() ? "?" : it->second->keytype(), present.count(id) > 0});
    }
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace upkeep::publish
