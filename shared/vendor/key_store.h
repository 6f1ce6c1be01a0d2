// KeyStore: the vendor's folder of signing keys, one ed25519 key per
// top-level TUF role (root.key, targets.key, snapshot.key, timestamp.key),
// plus vendor.json {"app_id": ...}.
//
// The folder is 0700 and every key file 0600, written atomically. create()
// refuses (Error(kExists)) to touch a folder that already holds any key, so
// keys are never overwritten; after a failure the keys written so far are
// removed again. Key files are JSON {"keytype","scheme","keyval":{"public",
// "private"}} with hex values. Used by one thread at a time (vendor tool).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "tuf/keys.h"

namespace upkeep::vendor {

// Throws Error(kUsage) unless `app_id` is 1-64 characters of [A-Za-z0-9._-]
// not starting with '.' (it becomes a folder name in the repository).
void validate_app_id(const std::string& app_id);

class KeyStore {
 public:
  // Generates the four role keys and vendor.json in `dir` (created if missing).
  static KeyStore create(const std::filesystem::path& dir, const std::string& app_id);
  // Opens an existing store; Error(kNotFound) naming vendor.json when it is missing.
  static KeyStore open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  const std::string& app_id() const { return app_id_; }
  std::filesystem::path key_path(std::string_view role) const;
  // Reads <role>.key; Error(kNotFound) when missing, kBadInput when malformed.
  std::unique_ptr<tuf::PrivateKey> load_key(std::string_view role) const;

 private:
  KeyStore(std::filesystem::path dir, std::string app_id) : dir_(std::move(dir)), app_id_(std::move(app_id)) {}
  std::filesystem::path dir_;
  std::string app_id_;
};

}  // namespace upkeep::vendor
