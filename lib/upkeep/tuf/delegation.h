// Delegations in targets metadata (TUF 1.0.31 "delegations"): which roles a
// targets role trusts for which target paths, with which keys.
//
// Two forms, exactly one per object:
//   "roles": [{name, keyids, threshold, terminating, paths | path_hash_prefixes}, ...]
//     listed in priority order (the client searches them in that order);
//   "succinct_roles": {keyids, threshold, bit_length, name_prefix}
//     (TAP 15 hash bins): 2^bit_length roles NAME_PREFIX-XX sharing one key
//     set, each responsible for the target paths whose SHA-256 starts with
//     its bit pattern; every bin is terminating.
//
// parse() is strict (Error(kBadInput) naming the field and what was
// expected): role names must be non-empty, unique and not a top-level role
// name; "paths" and "path_hash_prefixes" exclude each other (a role with
// neither is trusted for no path); thresholds are at least 1. Key ids a role
// lists but "keys" lacks are allowed and simply never count as signatures.
// Values are plain data: share read-only between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "upkeep/base/json.h"
#include "upkeep/tuf/role_keys.h"

namespace upkeep::tuf {

// Shell-style match of a target path against a PATHPATTERN, as the spec
// describes: '*' matches any run of characters and '?' one character, "[..]"
// a set ("[!..]" its complement); no wildcard matches '/', so the pattern
// and the path must have the same number of '/'-separated parts
// ("*.tgz" matches "a.tgz" but not "dir/a.tgz").
bool path_pattern_matches(std::string_view pattern, std::string_view target_path);

// True for "root", "timestamp", "snapshot" and "targets".
bool is_top_level_role(std::string_view name);

struct DelegatedRole {
  std::string name;
  RoleKeys keys;
  bool terminating = false;
  std::optional<std::vector<std::string>> paths;               // PATHPATTERNs
  std::optional<std::vector<std::string>> path_hash_prefixes;  // lower-case hex prefixes of SHA-256(path)

  // Whether this role is trusted for `target_path`.
  bool is_delegated_path(std::string_view target_path) const;
  static DelegatedRole parse(const Json& j, std::string_view what);
  Json to_json() const;
};

struct SuccinctRoles {
  RoleKeys keys;
  int bit_length = 8;  // 1..32
  std::string name_prefix;

  uint64_t bin_count() const { return uint64_t{1} << bit_length; }
  // NAME_PREFIX-XX: XX is the first bit_length bits of SHA-256(target_path)
  // as lower-case hex, zero-padded to the width of the largest bin number.
  std::string role_for_target(std::string_view target_path) const;
  // Whether `name` is one of the bins (right prefix, width and range).
  bool is_delegated_role(std::string_view name) const;
  static SuccinctRoles parse(const Json& j, std::string_view what);
  Json to_json() const;
};

struct Delegations {
  KeyMap keys;
  std::vector<DelegatedRole> roles;  // priority order; empty when succinct_roles is set
  std::optional<SuccinctRoles> succinct_roles;

  struct Match {
    std::string role;
    const RoleKeys* keys;  // points into this Delegations
    bool terminating;
  };
  // The roles trusted for `target_path` in search order. A terminating role
  // ends the list: roles after it are never consulted for this path.
  std::vector<Match> roles_for_target(std::string_view target_path) const;

  static Delegations parse(const Json& j, std::string_view what = "delegations");
  Json to_json() const;
};

}  // namespace upkeep::tuf
