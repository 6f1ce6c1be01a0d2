#include "upkeep/install/state_recovery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <optional>

#include "upkeep/base/error.h"
#include "upkeep/base/version.h"
#include "upkeep/install/manifest.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/install_lock.h"

namespace upkeep {
namespace stdfs = std::filesystem;

namespace {

std::string utc_stamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// Newest first; names that are not versions last, by name.
bool newer(const std::string& a, const std::string& b) {
  auto va = Version::parse(a), vb = Version::parse(b);
  if (va && vb) return va->compare(*vb) > 0;
  if (va || vb) return va.has_value();
  return a > b;
}

}  // namespace

StateStore StateRecovery::open() const {
  const stdfs::path file = layout_.state_db();
  std::string moved_to;
  std::optional<InstallLock> lock;  // held until the new store is rebuilt
  if (std::string why = StateStore::damage(file); !why.empty()) {
    lock.emplace(InstallLock::acquire(layout_.root() / ".state-recovery.lock", std::chrono::seconds(30)));
    // Another process may have set it aside and rebuilt it meanwhile.
    why = StateStore::damage(file);
    if (!why.empty()) moved_to = move_aside(why);
  }
  StateStore store(file);
  if (!store.created()) return store;
  const int recorded = rebuild(store);
  if (recorded == 0 && moved_to.empty()) return store;  // a new install: nothing to rebuild
  const std::string detail = (moved_to.empty() ? std::string("state.db was missing or empty")
                                               : "state.db was damaged and moved aside to " + moved_to) +
                             "; rebuilt it: " + std::to_string(recorded) +
                             " version(s) recorded again from the folders";
  spdlog::warn("{}: {}", layout_.root().string(), detail);
  store.add_event("state_rebuilt", layout_.current_version().value_or(""), detail);
  return store;
}

std::string StateRecovery::move_aside(const std::string& why) const {
  const std::string db = layout_.state_db().string();
  std::string aside = db + ".damaged-" + utc_stamp();
  for (int n = 2; stdfs::exists(aside) || stdfs::exists(aside + "-wal"); ++n)
    aside = db + ".damaged-" + utc_stamp() + "-" + std::to_string(n);
  spdlog::error("{} is damaged ({}): moving it aside to {} and rebuilding it", db, why, aside);
  // The -wal and -shm first: a -wal beside a new state.db would be replayed into it.
  for (const char* suffix : {"-wal", "-shm", ""}) {
    std::error_code ec;
    if (!stdfs::exists(stdfs::symlink_status(db + suffix, ec))) continue;
    stdfs::rename(db + suffix, aside + suffix, ec);
    if (ec)
      fail(ErrorCode::kFailure,
           "cannot move the damaged " + db + suffix + " aside to " + aside + suffix + ": " + ec.message());
  }
  fs::fsync_dir(layout_.root());
  return aside;
}

int StateRecovery::rebuild(StateStore& store) const {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(layout_.versions_dir(), ec)) {
    if (!e.is_directory(ec)) continue;
    const std::string v = e.path().filename().string();
    try {
      const FileManifest m =
          FileManifest::parse(fs::read_file(layout_.manifest_file(v)), layout_.manifest_file(v).string());
      if (m.version() != v) fail(ErrorCode::kBadInput, "its manifest names version " + m.version());
      m.verify_directory(e.path(), FileManifest::Depth::kQuick);
      found.push_back(v);
    } catch (const Error& err) {
      spdlog::warn("rebuilding state.db: not recording {}: {}", v, err.what());
    }
  }
  std::sort(found.begin(), found.end(), newer);
  const auto current = layout_.current_version();
  const bool current_found = current && std::count(found.begin(), found.end(), *current);
  std::string previous;  // for `current`: the newest other version kept
  for (const auto& v : found)
    if (current_found && v != *current && !newer(v, *current)) {
      previous = v;
      break;
    }
  const std::string reason = "recorded again from its folder when state.db was rebuilt";
  store.transaction([&] {
    for (const auto& v : found) store.record_recovered(v, current_found && v == *current ? previous : "", reason);
  });
  return static_cast<int>(found.size());
}

}  // namespace upkeep
