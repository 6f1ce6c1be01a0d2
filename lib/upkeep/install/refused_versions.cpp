#include "upkeep/install/refused_versions.h"

namespace upkeep {

RefusedVersions::RefusedVersions(const StateStore& store) {
  for (const auto& r : store.all()) {
    if (r.state == VersionState::kBad) why_[r.version] = "marked bad";
    if (r.state == VersionState::kQuarantined) why_[r.version] = "quarantined";
    if (r.state == VersionState::kSkipped) why_[r.version] = "skipped by the user";
  }
  // Its record still says kTrial or kGood until the rollback is finished.
  if (auto j = store.journal(); j && j->op == JournalOp::kRollback) why_[j->version] = "being rolled back";
}

std::optional<std::string> RefusedVersions::why(const std::string& version) const {
  auto it = why_.find(version);
  if (it == why_.end()) return std::nullopt;
  return it->second;
}

std::set<std::string> RefusedVersions::versions() const {
  std::set<std::string> out;
  for (const auto& [version, why] : why_) out.insert(version);
  return out;
}

}  // namespace upkeep
