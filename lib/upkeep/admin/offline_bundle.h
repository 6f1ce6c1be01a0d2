// OfflineBundle: one file that installs one release with no network, for
// deployment tools that push a single file to many machines.
//
// A bundle is the `upkeep` program itself with a payload appended, so it is
// run directly (`./myapp-1.4.2.bundle --silent`) or given to `upkeep install
// --bundle FILE`. Layout, from the end of the file backwards:
//
//   [program][payload zip][bundle.json][trailer: "UPKBND01", then four
//    little-endian u64: payload offset, payload size, json offset, json size]
//
// The payload is a repository of its own: the whole signed metadata (root
// chain, timestamp, snapshot, targets), the one release's package and
// files.json (copied with RepositoryMirror, so every byte was verified
// against its signature on the way in), and bin/launcher and
// bin/upkeep-updater. bundle.json says what it installs (app id, version,
// platform, channel, the repository installed copies update from, when it
// was made) and lists every payload file with its size, mode and SHA-256,
// so a damaged bundle is recognised before anything is installed. It is not
// signed: the install verifies the metadata's signatures and the package's
// signed hash as an online install does; bundle.json only catches damage.
//
// Every failure to read a bundle (not a bundle, truncated, offsets outside
// the file, malformed bundle.json, a payload file that differs from its
// listing) is Error(kBadBundle) naming the file and what was wrong; a full
// disk stays kNoSpace. One thread per object.
#pragma once

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "upkeep/install/manifest.h"
#include "upkeep/net/fetcher.h"

namespace upkeep::admin {

struct BundleFacts {
  std::string app_id;
  std::string version;
  std::string platform;
  std::string channel;
  std::string update_url;   // the repository installed copies check for updates ('/'-terminated)
  std::time_t created = 0;  // unix seconds; the install checks metadata expiry as of this time
};

struct BundleOptions {
  std::string repository_url;  // read from: http(s):// or file:// ('/' added)
  std::string version;
  std::optional<std::string> app_id;  // needed when the repository holds several apps
  std::string platform;               // the release's platform
  std::string channel = "stable";
  std::optional<std::filesystem::path> trusted_root;  // else the repository's 1.root.json (first use)
  std::string update_url;                             // BundleFacts::update_url
  std::filesystem::path program;                      // the upkeep program the bundle starts with
  std::filesystem::path launcher_binary;
  std::filesystem::path updater_binary;
  std::filesystem::path output;
  // Called while the release is copied (files done, files known, bytes fetched); may be empty.
  std::function<void(size_t done, size_t known, uint64_t bytes)> progress;
};

class OfflineBundle {
 public:
  static constexpr uint64_t kMaxJsonBytes = 4u << 20;

  // Writes options.output atomically (mode 0755); on failure nothing is left
  // at that path. Error(kNotFound) for a version that is not published.
  static BundleFacts write(const BundleOptions& options, net::Fetcher& fetcher);

  // The last step of write(): `program` + the zip of `payload` (a folder as
  // extract() makes it) + bundle.json listing it, into `output` (atomic).
  static void assemble(const std::filesystem::path& program, const std::filesystem::path& payload,
                       const BundleFacts& facts, const std::filesystem::path& output);

  // True when `file` ends with a bundle trailer (cheap: reads 40 bytes).
  static bool is_bundle(const std::filesystem::path& file);

  // Reads the trailer and bundle.json; Error(kBadBundle) as above.
  static OfflineBundle open(const std::filesystem::path& file);

  const BundleFacts& facts() const { return facts_; }
  const std::filesystem::path& file() const { return file_; }

  // Unpacks the payload into `dest` (which must not exist): afterwards it
  // holds metadata/, targets/ and bin/, every file checked against bundle.json.
  // On failure `dest` is removed.
  void extract(const std::filesystem::path& dest) const;

 private:
  OfflineBundle(std::filesystem::path file, BundleFacts facts, FileManifest payload, uint64_t offset, uint64_t size)
      : file_(std::move(file)),
        facts_(std::move(facts)),
        payload_(std::move(payload)),
        payload_offset_(offset),
        payload_size_(size) {}

  std::filesystem::path file_;
  BundleFacts facts_;
  FileManifest payload_;
  uint64_t payload_offset_ = 0;
  uint64_t payload_size_ = 0;
};

}  // namespace upkeep::admin
