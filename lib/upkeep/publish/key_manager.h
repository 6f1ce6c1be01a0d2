// KeyManager: the vendor's key operations on a repository — add a key to a
// role, revoke one, replace the root keys — each published as a new root
// version signed by the old and the new root thresholds (TUF 1.0.31 5.3.4).
//
// Every operation signs everything in memory first (so a missing key fails
// before anything is written), then writes new private keys into the key
// store, then the repository files with timestamp.json last. On failure the
// repository is restored byte for byte and new key files are removed.
// Only after the repository was written are the private keys of removed
// keys dealt with: an online key's file is deleted; a root key's file is
// kept, renamed ROOT.<id16>.retired.key (KeyStore::retire_key), for the
// vendor to destroy when no client can still need it. One thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "upkeep/publish/key_store.h"
#include "upkeep/publish/repository_publisher.h"
#include "upkeep/tuf/keys.h"

namespace upkeep::publish {

struct KeyChange {
  std::vector<std::string> added;              // key ids now in the role
  std::vector<std::string> removed;            // key ids no longer in the role
  std::vector<std::filesystem::path> retired;  // root private keys kept (renamed), see above
  int64_t threshold = 1;                       // the role's threshold afterwards
  RootUpdate update;                           // what was written
};

// One key of a role as the current root lists it.
struct RoleKeyInfo {
  std::string key_id;
  std::string keytype;
  bool private_key_present = false;  // its private key is in the key store
};

struct RoleInfo {
  std::string role;
  int64_t threshold = 1;
  std::vector<RoleKeyInfo> keys;
};

class KeyManager {
 public:
  KeyManager(const KeyStore& keys, RepositoryPublisher& publisher) : keys_(keys), publisher_(publisher) {}

  // Generates a key of `type` and adds it to `role`; `threshold` (default:
  // unchanged) must be 1..number of keys. Error(kUsage) for a bad role or threshold.
  KeyChange add_key(const std::string& role, tuf::KeyType type, std::optional<int64_t> threshold = std::nullopt);

  // Removes the key whose id is (or starts with, at least 8 hex digits)
  // `key_id` from `role`. Refuses (Error(kUsage)) to leave fewer keys than
  // the threshold (lower it with `threshold`); Error(kNotFound) when the role
  // has no such key.
  KeyChange revoke_key(const std::string& role, const std::string& key_id,
                       std::optional<int64_t> threshold = std::nullopt);

  // Replaces every root key with `count` new keys of `type` and `threshold`.
  // Needs a threshold of the current root keys in the offline folder.
  KeyChange rotate_root(tuf::KeyType type, int count = 1, int64_t threshold = 1);

  // The four top-level roles of the current root, with their keys.
  std::vector<RoleInfo> describe() const;

 private:
  KeyChange apply(const std::string& role, tuf::RootMetadata root,
                  const std::vector<std::unique_ptr<tuf::PrivateKey>>& new_keys,
                  const std::vector<std::string>& removed);

  const KeyStore& keys_;
  RepositoryPublisher& publisher_;
};

}  // namespace upkeep::publish
