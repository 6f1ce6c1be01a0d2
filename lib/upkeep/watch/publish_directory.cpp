#include "upkeep/watch/publish_directory.h"

#include "upkeep/watch/repository_upload.h"

namespace upkeep::watch {

PublishDirectory::PublishDirectory(std::filesystem::path local_repo, std::unique_ptr<PublishDestination> destination)
    : local_repo_(std::move(local_repo)), destination_(std::move(destination)) {}

bool PublishDirectory::run(WatchRound& round) {
  const UploadResult r = RepositoryUpload(local_repo_, *destination_).run();
  Json facts = Json::object();
  facts["destination"] = destination_->describe();
  facts["uploaded"] = static_cast<uint64_t>(r.uploaded);
  facts["skipped"] = static_cast<uint64_t>(r.skipped);
  facts["retries"] = static_cast<uint64_t>(r.retries);
  round.steps.push_back({name(),
                         "published to " + destination_->describe() + ": " + std::to_string(r.uploaded) +
                             " files copied, " + std::to_string(r.skipped) + " already there",
                         facts});
  return true;
}

}  // namespace upkeep::watch
