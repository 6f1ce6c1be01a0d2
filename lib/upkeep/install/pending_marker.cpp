#include "upkeep/install/pending_marker.h"

#include "upkeep/platform/fs.h"

namespace upkeep {
namespace stdfs = std::filesystem;

void PendingMarker::set() const {
  if (!is_set()) fs::write_file_atomic(layout_.pending_marker(), "");
}

void PendingMarker::clear_if_idle(const StateStore& store) const {
  if (store.has_pending_work()) return;
  std::error_code ec;
  // Durable removal: a marker that reappears after a crash only costs one look at the store.
  if (stdfs::remove(layout_.pending_marker(), ec)) fs::fsync_dir(layout_.root());
}

}  // namespace upkeep
