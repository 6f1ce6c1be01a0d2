// RepositoryTrust: the root a TUF client starts from in a trust folder, the
// one place that chooses it for the installer, the mirror and `upkeep info`.
//
// Pinned: the vendor's root.json given by path (--trusted-root). Otherwise
// trust on first use: the repository's own 1.root.json, fetched once; every
// later root must then be signed by its predecessor (the TUF client checks
// that), so only the very first download is taken on faith. Callers say so
// to the user when trusted_on_first_use is true.
//
// Stateless functions: any thread. After success DIR/root.json holds the
// starting root (written atomically); after failure an Error was thrown
// (kNotFound/kBadInput for the pinned file, kNetwork from the fetcher) and
// DIR/root.json is unchanged.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "upkeep/net/fetcher.h"

namespace upkeep {

class RepositoryTrust {
 public:
  static constexpr uint64_t kMaxRootBytes = 512u << 10;

  // Writes DIR/root.json from `trusted_root` (a file) or, without one, from
  // the repository at `repo_url` (ends in '/'). Returns true when the root
  // was trusted on first use.
  static bool start(const std::filesystem::path& dir, const std::string& repo_url,
                    const std::optional<std::filesystem::path>& trusted_root, net::Fetcher& fetcher);
};

}  // namespace upkeep
