// Stager: turns a verified release into a staged version the launcher can
// apply with one rename.
//
// Steps: fetch the signed manifest (length and hash checked against the
// signed target), check free space, download the package with resume into
// staging/ (length and SHA-256 checked while streaming), extract it safely
// into staging/<v> checking every file, save the manifest, then record
// `staged` in the state store under the install lock. Nothing is staged
// unless every check passed.
//
// Holds the staging lock (<root>/.staging.lock) for its whole run, so the
// launcher's clean-up never removes a download in progress; takes the
// install lock only for the final record. After success: staging/<v> and
// manifests/<v>.json exist and the state store says kStaged. After failure:
// Error thrown, staging/<v> does not exist, the state store is unchanged;
// only a resumable *.part download may remain. One thread at a time.
#pragma once

#include "layout.h"
#include "net/fetcher.h"
#include "update/release_selector.h"

namespace upkeep {

class Stager {
 public:
  Stager(const Layout& layout, Fetcher& fetcher) : layout_(layout), fetcher_(fetcher) {}

  // `package_url` and `manifest_url` come from tuf::Client::target_url().
  void stage(const ReleaseInfo& release, const std::string& package_url, const std::string& manifest_url,
             DownloadProgress* progress);

 private:
  const Layout& layout_;
  Fetcher& fetcher_;
};

}  // namespace upkeep
