// TUF 1.0.x metadata: the signed envelope, signature thresholds and the four
// top-level role models (root, timestamp, snapshot, targets).
//
// An Envelope keeps the "signed" object exactly as it was parsed, because
// signatures cover its canonical form: unknown fields stay signed even
// though the models ignore them. The models parse strictly (every error
// names the file, the field and what was expected, as Error(kBadInput)) and
// serialise back to Json for the vendor side. Delegations (delegated
// targets roles, succinct hash bins) are modelled in tuf/delegation.h.
// Values are plain data: share read-only between threads.
#pragma once

#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "upkeep/base/json.h"
#include "upkeep/tuf/delegation.h"
#include "upkeep/tuf/keys.h"
#include "upkeep/tuf/role_keys.h"

namespace upkeep::tuf {

// What our publisher writes. Metadata with any spec_version of the same
// major version ("1.0", "1.0.31", "1.1") is read; another major is refused.
inline constexpr const char* kSpecVersion = "1.0.31";
inline constexpr const char* kRootRole = "root";
inline constexpr const char* kTimestampRole = "timestamp";
inline constexpr const char* kSnapshotRole = "snapshot";
inline constexpr const char* kTargetsRole = "targets";
inline constexpr const char* kTopLevelRoles[] = {kRootRole, kTargetsRole, kSnapshotRole, kTimestampRole};
// The largest metadata file the publisher and the mirror read back from their own folders.
inline constexpr uint64_t kMaxLocalMetadataBytes = 64u << 20;

// "YYYY-MM-DDTHH:MM:SSZ" (UTC), the only form TUF metadata uses.
std::string format_time(std::time_t t);
// Strict; throws Error(kBadInput) "<what>: '<text>' is not a time like 2030-01-31T00:00:00Z".
std::time_t parse_time(std::string_view text, std::string_view what);

struct Signature {
  std::string keyid;
  std::string sig;  // hex, as in the file
};

// One metadata file: {"signatures":[...],"signed":{...}}.
struct Envelope {
  Json signed_json;
  std::vector<Signature> signatures;

  // Throws Error(kBadInput) naming `what` (e.g. "timestamp.json"), also for
  // two signatures with one key id ("more than one signature by key id X").
  static Envelope parse(std::string_view text, std::string_view what);
  // The bytes that signatures cover.
  std::string canonical_signed() const { return signed_json.dump_canonical(); }
  // Adds (or replaces) the signature of `key` over canonical_signed(), under
  // `keyid` (default: key.key_id(), the SHA-256 id our publisher writes).
  void sign(const PrivateKey& key);
  void sign(const PrivateKey& key, const std::string& keyid);
  // The file content (pretty-printed; signatures do not depend on layout).
  std::string to_text() const;
};

// Number of distinct keys of `role` that carry a valid signature. Each
// signature is matched to the key its key id names; a key listed under two
// ids counts once; a signature by a key that is not in `role`, or by a key
// this client cannot use (PublicKey::from_metadata), never counts.
size_t count_valid_signatures(const Envelope& envelope, const KeyMap& keys, const RoleKeys& role);
// Throws Error(kVerification) "<what>: 1 valid signature, threshold is 2".
void verify_threshold(const Envelope& envelope, const KeyMap& keys, const RoleKeys& role, std::string_view what);

// What a higher role says about a metadata file (timestamp -> snapshot, snapshot -> targets).
struct MetaFile {
  int64_t version = 1;
  std::optional<uint64_t> length;
  std::map<std::string, std::string> hashes;  // algorithm -> hex; may be empty

  static MetaFile parse(const Json& j, std::string_view what);
  Json to_json() const;
};

// Checks `data` against an expected length (when given) and hashes (when
// non-empty). Unknown algorithms are skipped but never count as a match, so
// a non-empty list with no sha256/sha512 entry fails. Error(kVerification)
// "<what>: length is 10 bytes, expected 12" / "<what>: sha256 is ab.., expected cd..".
void check_length_and_hashes(std::string_view data, std::optional<uint64_t> length,
                             const std::map<std::string, std::string>& hashes, std::string_view what);

// One entry of targets metadata. `path` is the target path ('/'-separated).
struct TargetFile {
  std::string path;
  uint64_t length = 0;
  std::map<std::string, std::string> hashes;  // at least one entry
  Json custom = Json::object();

  std::string sha256() const;  // "" when not listed
  static TargetFile parse(const std::string& path, const Json& j, std::string_view what);
  Json to_json() const;  // without the path (it is the key in "targets")
};

// Fields every role has.
struct MetadataHeader {
  std::string spec_version = kSpecVersion;
  int64_t version = 1;
  std::time_t expires = 0;

  bool is_expired(std::time_t now) const { return now >= expires; }
  // Throws Error(kVerification) "<what>: expired at 2026-01-01T00:00:00Z".
  void check_not_expired(std::time_t now, std::string_view what) const;
};

struct RootMetadata : MetadataHeader {
  bool consistent_snapshot = true;
  KeyMap keys;                            // key id -> key; ids as given (tuf/role_keys.h)
  std::map<std::string, RoleKeys> roles;  // the four top-level roles

  static RootMetadata parse(const Json& signed_json, std::string_view what = "root.json");
  Json to_json() const;
  // Throws Error(kVerification) when the role is missing.
  const RoleKeys& role(std::string_view name) const;
};

struct TimestampMetadata : MetadataHeader {
  MetaFile snapshot;  // meta["snapshot.json"]

  static TimestampMetadata parse(const Json& signed_json, std::string_view what = "timestamp.json");
  Json to_json() const;
};

struct SnapshotMetadata : MetadataHeader {
  std::map<std::string, MetaFile> meta;  // "targets.json" and "<delegated role>.json"

  static SnapshotMetadata parse(const Json& signed_json, std::string_view what = "snapshot.json");
  Json to_json() const;
};

struct TargetsMetadata : MetadataHeader {
  std::map<std::string, TargetFile> targets;
  std::optional<Delegations> delegations;  // absent when the role delegates nothing

  static TargetsMetadata parse(const Json& signed_json, std::string_view what = "targets.json");
  Json to_json() const;
};

}  // namespace upkeep::tuf
