// KeyStore: the vendor's folder of private signing keys, one file per key,
// with the offline root keys kept apart from the online keys:
//
//   DIR/vendor.json                  {"app_id": ..., "expires": {"timestamp": "1d", ...}}
//   DIR/offline/root-<id16>.key      root keys: keep this folder off the build/server machine
//   DIR/online/targets-<id16>.key    keys that sign releases and the metadata chain
//   DIR/online/snapshot-<id16>.key
//   DIR/online/timestamp-<id16>.key
//   DIR/offline/root.<id16>.retired.key   a root key a newer root no longer lists
//
// <id16> is the first 16 hex digits of the key id. A role may have several
// keys (thresholds); which ones count is decided by the repository's root
// metadata, not by the folder. Folders are 0700 and key files 0600, written
// atomically; a key file is never overwritten. Key files are securesystemslib
// key dicts (see tuf/keys.h). A key folder from before the offline/online
// split (DIR/<role>.key) is still read.
//
// Used by one thread at a time (the vendor tool). Every method that fails
// throws Error naming the file or folder; create() removes what it wrote.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "upkeep/publish/expiries.h"
#include "upkeep/tuf/keys.h"

namespace upkeep::publish {

// Throws Error(kUsage) unless `app_id` is 1-64 characters of [A-Za-z0-9._-]
// not starting with '.' (it becomes a folder name in the repository).
void validate_app_id(const std::string& app_id);
// Throws Error(kUsage) unless `role` is root, targets, snapshot or timestamp.
void validate_role(std::string_view role);

class KeyStore {
 public:
  // Generates one key of `type` per top-level role and vendor.json (with
  // `expiries`) in `dir` (created if missing). Error(kExists) when `dir`
  // already holds vendor.json or any key.
  static KeyStore create(const std::filesystem::path& dir, const std::string& app_id,
                         tuf::KeyType type = tuf::KeyType::kEd25519, const Expiries& expiries = {});
  // Opens an existing store; Error(kNotFound) naming vendor.json when it is missing.
  static KeyStore open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  const std::string& app_id() const { return app_id_; }
  // The expiries in vendor.json (defaults for roles it does not name).
  const Expiries& expiries() const { return expiries_; }

  // DIR/offline for root, DIR/online for the other roles.
  std::filesystem::path folder(std::string_view role) const;
  // Where the key `key_id` of `role` is (or would be) stored.
  std::filesystem::path key_path(std::string_view role, std::string_view key_id) const;

  // Every key of `role` present in the store, sorted by file name; empty
  // when the folder is absent (e.g. the offline folder on a server).
  // Error(kBadInput) naming the file when a key file is malformed.
  std::vector<std::unique_ptr<tuf::PrivateKey>> load_keys(std::string_view role) const;
  // The first key of `role`; Error(kNotFound) naming the folder when there is none.
  std::unique_ptr<tuf::PrivateKey> load_key(std::string_view role) const;

  // Writes `key` as a new key file of `role` (0600, folder 0700); returns its
  // path. Error(kExists) when that file exists.
  std::filesystem::path add_key(std::string_view role, const tuf::PrivateKey& key) const;
  // Deletes the key file of `role` with `key_id`; returns false when there is none.
  bool remove_key(std::string_view role, std::string_view key_id) const;
  // Renames the key file of `role` with `key_id` to ROLE.<id16>.retired.key
  // in the same folder (still 0600), where load_keys() no longer finds it;
  // returns the new path, or nullopt when there is no such key file.
  std::optional<std::filesystem::path> retire_key(std::string_view role, std::string_view key_id) const;

 private:
  KeyStore(std::filesystem::path dir, std::string app_id, Expiries expiries)
      : dir_(std::move(dir)), app_id_(std::move(app_id)), expiries_(expiries) {}
  std::vector<std::filesystem::path> key_files(std::string_view role) const;

  std::filesystem::path dir_;
  std::string app_id_;
  Expiries expiries_;
};

}  // namespace upkeep::publish
