// PublishDirectory: the handler that copies the local repository to a
// PublishDestination after each release (`upkeep watch --publish DIR`),
// through RepositoryUpload, so the destination never serves a
// half-published release. After success the destination holds every file
// of the local repository; after a failure it still serves what it served
// before (timestamp.json unchanged) and Error propagates. One thread at a time.
#pragma once

#include <filesystem>
#include <memory>

#include "upkeep/watch/publish_destination.h"
#include "upkeep/watch/release_handler.h"

namespace upkeep::watch {

class PublishDirectory : public ReleaseHandler {
 public:
  PublishDirectory(std::filesystem::path local_repo, std::unique_ptr<PublishDestination> destination);

  std::string name() const override { return "publish"; }
  bool run(WatchRound& round) override;

 private:
  std::filesystem::path local_repo_;
  std::unique_ptr<PublishDestination> destination_;
};

}  // namespace upkeep::watch
