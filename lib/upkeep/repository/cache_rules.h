// CacheRules: how long a web cache (a browser's, a proxy's, a CDN's edge) may
// keep each file of a repository, the rules docs/hosting.md states and
// `upkeep doctor` checks a server's replies against.
//
// Two kinds of file (RepositoryLayout names them):
//   kRevalidate  changes in place: metadata/timestamp.json, metadata/root.json
//                (and any other unversioned metadata), download/ (the "latest"
//                links). A cache must ask the origin every time: Cache-Control
//                "no-cache" (or no-store, or a max-age of at most
//                kMaxRevalidateSeconds). A stale copy hides a release, and a
//                stale timestamp.json outlives its expiry: every client fails.
//   kImmutable   never changes once written: metadata/N.<role>.json (consistent
//                snapshots), everything under targets/ (hash-prefixed names,
//                blobs and patches named by their hashes). May be cached forever.
// A 404 must never be cached (clients probe N.root.json files that do not exist
// yet, and a half-uploaded release is asked for before it is there).
//
// Pure functions: any thread; they never fail.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace upkeep {

enum class CacheKind { kRevalidate, kImmutable };

class CacheRules {
 public:
  static constexpr int64_t kMaxRevalidateSeconds = 60;
  static constexpr int64_t kImmutableSeconds = 31536000;    // a year: what "forever" means to caches
  static constexpr int64_t kShortImmutableSeconds = 86400;  // below a day, a versioned file costs needless requests

  // The kind of `rel`, a path relative to the repository's root ("metadata/timestamp.json").
  static CacheKind kind_of(const std::string& rel);
  // The Cache-Control value docs/hosting.md sets for that kind.
  static const char* recommended(CacheKind kind);

  // What is wrong with a reply's Cache-Control (and Expires) for a file of
  // `kind`, or nullopt when the reply keeps the rule. For kImmutable only a
  // missed saving is reported (the caller's warning); for kRevalidate a
  // lifetime caches may keep it beyond kMaxRevalidateSeconds, or none said
  // (caches then guess one from Last-Modified: heuristic freshness).
  static std::optional<std::string> problem(CacheKind kind, const std::string& cache_control,
                                            const std::string& expires);

  // The lifetime a shared cache takes from Cache-Control: s-maxage, else
  // max-age; 0 for no-cache or no-store; nullopt when it says none.
  static std::optional<int64_t> shared_lifetime(const std::string& cache_control);
};

}  // namespace upkeep
