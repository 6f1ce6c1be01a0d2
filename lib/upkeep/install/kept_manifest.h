// KeptManifest: a version's signed manifest as an install root keeps it,
// manifests/<v>.json, and beside it the launcher's copy of the release's
// launch spec, manifests/<v>.launch.json (Layout::launch_file), written
// only from a manifest that verified. Every writer of manifests/<v>.json
// (the stager's package and delta routes, repair) and every remover (the
// applier's discard and clean-up) goes through here, so the two files come
// and go together.
//
// Holds a reference to the caller's Layout; any thread, distinct versions.
// save(): the launch file first (a stale one removed when the release
// declares none), then the manifest, each atomically; after a failure the
// manifest is the old one or absent. remove(): both; a missing one is fine.
// Both throw Error on I/O failure.
#pragma once

#include <string>
#include <string_view>

#include "upkeep/install/layout.h"
#include "upkeep/install/manifest.h"

namespace upkeep {

class KeptManifest {
 public:
  explicit KeptManifest(const Layout& layout) : layout_(layout) {}

  // `text` is the manifest as signed; `manifest` is it, parsed.
  void save(const FileManifest& manifest, std::string_view text) const;
  // Only the launch file, as `manifest` declares it (removed when it declares none).
  void save_launch(const FileManifest& manifest) const;
  // True when the launch file is what `manifest` declares (absent when it declares none).
  bool launch_matches(const FileManifest& manifest) const;
  void remove(const std::string& version) const;

 private:
  const Layout& layout_;
};

}  // namespace upkeep
