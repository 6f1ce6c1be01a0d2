// Stager: turns a verified release into a staged version the launcher can
// apply with one rename.
//
// Steps: fetch the signed manifest, check free space, then build
// staging/<v> one of two ways: a delta (only missing files and patches are
// fetched, delta_stager.h) when it costs fewer bytes than the package, else
// the package, downloaded with resume into staging/ (length and SHA-256
// checked while streaming) and extracted safely checking every file. Then
// save the manifest and record `staged` in the state store under the install
// lock. Nothing is staged unless every check passed.
//
// Where the manifest comes from: with deltas on and a release that lists a
// delta target, from the delta bundle (delta/delta_bundle.h), which is
// checked against its signed length and hash before it is decompressed and
// whose files.json part must match the signed files.json target; files.json
// itself is then not fetched. A bundle that cannot be fetched or fails any
// check (network, verification, parse, an index that does not list exactly
// the manifest's contents) is logged and the package route is taken, which
// fetches files.json (checked against its signed length and hash).
//
// Holds the staging lock (<root>/.staging.lock) for its whole run, so the
// launcher's clean-up never removes a download in progress; takes the
// install lock only for the final record. After success: staging/<v> and
// manifests/<v>.json exist and the state store says kStaged. After failure:
// Error thrown, staging/<v> does not exist, the state store is unchanged;
// only a resumable *.part download or delta work folder may remain. One
// thread at a time.
#pragma once

#include "upkeep/install/layout.h"
#include "upkeep/net/fetcher.h"
#include "upkeep/tuf/tuf_client.h"
#include "upkeep/update/delta_stager.h"
#include "upkeep/update/release_selector.h"

namespace upkeep {

// Where a release's files come from.
struct ReleaseUrls {
  std::string package;
  std::string manifest;
  std::string delta;  // the delta bundle (delta.zst); "" when the release has none or deltas are off
  DeltaSource delta_source;

  // From the verified targets of `client`; `use_delta` false ignores the delta bundle.
  static ReleaseUrls of(const ReleaseInfo& release, const tuf::Client& client, const std::string& app_id,
                        bool use_delta);
};

class Stager {
 public:
  Stager(const Layout& layout, net::Fetcher& fetcher) : layout_(layout), fetcher_(fetcher) {}

  void stage(const ReleaseInfo& release, const ReleaseUrls& urls, net::DownloadProgress* progress);

 private:
  // True when there is nothing to do: v is staged, or an interrupted apply
  // of it waits for the launcher. Throws Error(kVerification) when v is
  // refused (refused_versions.h).
  bool nothing_to_stage(const std::string& v) const;
  // Rebuilds staging/<v> from local files, patches and whole files and saves
  // the manifest; false when the delta route gave up (the package route follows).
  bool stage_from_delta(const ReleaseInfo& release, const ReleaseUrls& urls, const FileManifest& manifest,
                        const delta::DeltaIndex& index, const std::string& manifest_text,
                        net::DownloadProgress* progress);
  // Downloads (or reuses a verified download of) the package, extracts it into
  // staging/<v> and saves the manifest; on failure removes all of that but a
  // resumable *.part.
  void stage_from_package(const ReleaseInfo& release, const ReleaseUrls& urls, const FileManifest& manifest,
                          const std::string& manifest_text, net::DownloadProgress* progress);
  // Marks the pending update and records v as staged, under the install lock:
  // the staged record becomes durable here and nowhere earlier.
  void record(const std::string& v, const FileManifest& manifest, const std::string& manifest_text);

  const Layout& layout_;
  net::Fetcher& fetcher_;
};

}  // namespace upkeep
