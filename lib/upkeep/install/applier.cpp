#include "upkeep/install/applier.h"

#include <spdlog/spdlog.h>

#include <set>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/base/version.h"
#include "upkeep/install/kept_manifest.h"
#include "upkeep/install/manifest.h"
#include "upkeep/install/pending_marker.h"
#include "upkeep/install/refused_versions.h"
#include "upkeep/install/trash.h"
#include "upkeep/platform/fault_injection.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/install_lock.h"

namespace upkeep {
namespace stdfs = std::filesystem;

std::optional<std::string> Applier::staged_version() const {
  std::optional<std::string> best;
  for (const auto& r : store_.in_state(VersionState::kStaged)) {
    auto v = Version::parse(r.version);
    if (!v) continue;
    if (!best || Version::parse(*best)->compare(*v) < 0) best = r.version;
  }
  return best;
}

// --- apply ------------------------------------------------------------------

void Applier::verify_staged(const std::string& version) {
  auto rec = store_.get(version);
  // Outside the try: a version that is not staged (e.g. the current one) must never be discarded.
  if (!rec || rec->state != VersionState::kStaged) fail(ErrorCode::kNotFound, "version " + version + " is not staged");
  try {
    // Defence in depth: the selector offers a downgrade only where policy allows one, and so does apply.
    if (auto cur = layout_.current_version(); cur) {
      int order = Version::parse_or_throw(version).compare(Version::parse_or_throw(*cur));
      if (order == 0 || (order < 0 && !downgrades_allowed_))
        fail(ErrorCode::kDowngrade, "version " + version + " is not newer than the current " + *cur);
    }
    std::string text = fs::read_file(layout_.manifest_file(version));
    if (sha256_hex(text) != rec->manifest_sha256)
      fail(ErrorCode::kVerification, layout_.manifest_file(version).string() + " does not match its signed hash");
    // Exactly the signed set of files and folders, read with one pass per
    // folder and no per-file stat: contents, sizes and modes were checked
    // while staging, and apply must not cost time per byte.
    if (FileManifest::listing_digest_of(layout_.staged_dir(version)) != rec->listing_sha256) {
      // Rare: spend the time to name what differs.
      FileManifest::parse(text, layout_.manifest_file(version).string())
          .verify_directory(layout_.staged_dir(version), FileManifest::Depth::kQuick);
      fail(ErrorCode::kVerification,
           layout_.staged_dir(version).string() + ": its files differ from the signed manifest");
    }
  } catch (const Error& e) {
    spdlog::error("discarding staged version {}: {}", version, e.what());
    Quarantine::Verdict verdict;
    store_.transaction([&] {
      store_.set_state(version, VersionState::kRemoved, e.what());
      store_.add_event("discarded", version, e.what());
      verdict = quarantine_.count_failed_try(version, e);
    });
    step_discard_files(version);
    fail(ErrorCode::kVerification,
         verdict.annotate(std::string("staged version ") + version + " failed its check: " + e.what(), version));
  }
}

void Applier::step_move_into_versions(const std::string& version) {
  stdfs::path from = layout_.staged_dir(version), to = layout_.version_dir(version);
  if (!stdfs::exists(from)) {
    if (stdfs::exists(to)) return;  // moved by an earlier run
    fail(ErrorCode::kNotFound, "neither " + from.string() + " nor " + to.string() + " exists");
  }
  if (stdfs::exists(to)) {
    // A folder of an earlier, removed install of the same version: never the current one.
    if (layout_.current_version() == version) fail(ErrorCode::kFailure, version + " is already current");
    Trash(layout_).move_in(to);
  }
  fs::create_directories_durable(layout_.versions_dir());
  fs::rename_durable(from, to);
}

void Applier::step_switch_current(const std::string& version) {
  if (layout_.current_version() != version) layout_.switch_current(version);
}

void Applier::finish_apply(const std::string& version, const std::string& from) {
  std::vector<std::string> superseded;
  store_.journal_finish([&] {
    // A version still on trial was never confirmed: it is replaced, not a rollback target.
    for (const auto& r : store_.in_state(VersionState::kTrial))
      if (r.version != version)
        store_.set_state(r.version, VersionState::kRemoved, "superseded by " + version + " before it confirmed");
    // An older version staged before this one will never be applied now: it
    // stops being "staged" (a rollback later would otherwise leave it waiting,
    // shown as staged). Not refused: a later check may offer it again.
    superseded = staged_older_than(version);
    for (const auto& v : superseded) {
      store_.set_state(v, VersionState::kRemoved, "superseded by " + version + ", applied instead");
      store_.add_event("superseded", v, "by " + version);
    }
    store_.begin_trial(version, from);
    store_.clear_failures(version);  // its tries are over: the trial decides now
    store_.add_event("applied", version, from.empty() ? "" : "from " + from);
  });
  for (const auto& v : superseded) step_discard_files(v);
}

std::vector<std::string> Applier::staged_older_than(const std::string& version) const {
  std::vector<std::string> older;
  const auto applied = Version::parse(version);
  for (const auto& r : store_.in_state(VersionState::kStaged)) {
    const auto v = Version::parse(r.version);
    if (applied && v && v->compare(*applied) < 0) older.push_back(r.version);
  }
  return older;
}

// Removes what a discarded or abandoned try of `version` left behind: its
// staged folder and, unless it is current, its folder in versions/ (both
// into the trash) and its manifest. Best effort after the records: whatever
// cannot be removed now is a leftover that cleanup() removes later.
void Applier::step_discard_files(const std::string& version) {
  const bool current = layout_.current_version() == version;
  const Trash trash(layout_);
  std::vector<std::function<void()>> steps{[&] { trash.move_in(layout_.staged_dir(version)); }};
  if (!current) {
    steps.push_back([&] { trash.move_in(layout_.version_dir(version)); });
    steps.push_back([&] { KeptManifest(layout_).remove(version); });
  }
  for (const auto& step : steps) {
    try {
      step();
    } catch (const std::exception& e) {
      spdlog::warn("could not remove files of version {}: {}", version, e.what());
    }
  }
}

// Runs the steps of an apply of `version` up to and including the switch of
// `current`. A failure while `current` is unchanged is a failed try (the
// K-th abandons the apply and discards its files); once `current` points at
// `version` only records are left, and the next start finishes them.
void Applier::counted_as_a_try(const std::string& version, const std::function<void()>& steps) {
  auto failed = [&](const Error& e) {
    if (layout_.current_version() == version) throw e;
    auto verdict = quarantine_.count_failed_try(version, e);
    if (verdict.quarantined) step_discard_files(version);
    fail_again(e, verdict.annotate(e.what(), version));
  };
  try {
    steps();
  } catch (const Error& e) {
    failed(e);
  } catch (const stdfs::filesystem_error& e) {
    // std::filesystem's own checks (a folder that cannot be searched, say) fail the same way.
    failed(Error(e.code() == std::errc::no_space_on_device ? ErrorCode::kNoSpace : ErrorCode::kFailure, e.what(),
                 Fault::kLocal));
  }
}

// The last confirmed version: `current`, or, if that is itself still on
// trial, the version it would go back to.
std::string Applier::rollback_target() const {
  std::string from = layout_.current_version().value_or("");
  if (auto cur = store_.get(from); cur && cur->state == VersionState::kTrial && !cur->previous.empty())
    from = cur->previous;
  return from;
}

void Applier::apply(const std::string& version) {
  verify_staged(version);
  std::string from = rollback_target();
  store_.journal_begin(JournalOp::kApply, version, from);
  crash_point("apply.journaled");
  counted_as_a_try(version, [&] {
    step_move_into_versions(version);
    crash_point("apply.moved");
    // Point of no return: after this rename the new version is what starts.
    step_switch_current(version);
  });
  crash_point("apply.switched");
  finish_apply(version, from);
  crash_point("apply.recorded");
  spdlog::info("applied {} (was {})", version, from.empty() ? "none" : from);
}

// --- rollback ---------------------------------------------------------------

void Applier::finish_rollback(const std::string& bad, const std::string& to, const std::string& reason) {
  store_.journal_finish([&] {
    if (store_.get(bad)) store_.set_state(bad, VersionState::kBad, reason);
    if (auto r = store_.get(to); r && r->state != VersionState::kGood) store_.set_state(to, VersionState::kGood);
    store_.add_event("rolled_back", bad, "to " + to + ": " + reason);
  });
}

void Applier::rollback(const std::string& bad, const std::string& to, const std::string& reason) {
  if (!stdfs::is_directory(layout_.version_dir(to)))
    fail(ErrorCode::kNoRunnableVersion,
         "cannot roll back to " + to + ": " + layout_.version_dir(to).string() + " is missing");
  store_.journal_begin(JournalOp::kRollback, bad, to);
  crash_point("rollback.journaled");
  step_switch_current(to);
  crash_point("rollback.switched");
  finish_rollback(bad, to, reason);
  crash_point("rollback.recorded");
  spdlog::warn("rolled back from {} to {}: {}", bad, to, reason);
}

void Applier::mark_good(const std::string& version) {
  auto r = store_.get(version);
  if (r && r->state == VersionState::kTrial) {
    store_.transaction([&] {
      store_.set_state(version, VersionState::kGood);
      store_.add_event("confirmed", version, "");
    });
  }
}

// --- recovery ---------------------------------------------------------------

bool Applier::recover() {
  auto j = store_.journal();
  if (!j) return false;
  spdlog::warn("recovering an interrupted {} of {}", j->op == JournalOp::kApply ? "apply" : "rollback", j->version);
  if (j->op == JournalOp::kApply) {
    bool present = stdfs::exists(layout_.staged_dir(j->version)) || stdfs::exists(layout_.version_dir(j->version));
    if (!present) {
      // Nothing to roll forward with: keep what is current and forget the attempt. Files
      // that vanished (an unmounted file system, a hand's clean-up) are this machine's
      // fault, not the release's: not a failed try; the next check stages it again.
      Error lost(ErrorCode::kNotFound,
                 "neither " + layout_.staged_dir(j->version).string() + " nor " +
                     layout_.version_dir(j->version).string() + " exists",
                 Fault::kLocal);
      store_.journal_finish([&] {
        if (store_.get(j->version)) store_.set_state(j->version, VersionState::kRemoved, "lost during apply");
        store_.add_event("recovered", j->version, "apply abandoned: files missing");
        quarantine_.count_failed_try(j->version, lost);
      });
      return true;
    }
    counted_as_a_try(j->version, [&] {
      step_move_into_versions(j->version);
      step_switch_current(j->version);  // point of no return
    });
    finish_apply(j->version, j->from_version);
    store_.add_event("recovered", j->version, "apply finished");
  } else {
    step_switch_current(j->from_version);
    finish_rollback(j->version, j->from_version, "rollback finished after interruption");
    store_.add_event("recovered", j->version, "rollback finished");
  }
  return true;
}

// --- cleanup ----------------------------------------------------------------

// A download is worth keeping while its version is newer than `current` and not refused.
bool Applier::still_wanted(const std::string& version, const std::optional<std::string>& current,
                           const RefusedVersions& refused) const {
  auto v = Version::parse(version);
  if (!v) return false;
  if (current) {
    auto cur = Version::parse(*current);
    if (cur && v->compare(*cur) <= 0) return false;
  }
  return !refused.contains(version);
}

void Applier::cleanup() {
  std::set<std::string> keep;
  auto current = layout_.current_version();
  if (current) {
    keep.insert(*current);
    if (auto r = store_.get(*current); r && !r->previous.empty()) keep.insert(r->previous);
  }
  // An operation that could not be finished needs both of its versions (the launcher may start either).
  if (auto j = store_.journal()) keep.insert({j->version, j->from_version});
  const Trash trash(layout_);  // one rename each, whatever the size; emptied later (trash.h)
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(layout_.versions_dir(), ec)) {
    if (!current) break;  // without a readable `current` nothing says which folder runs: remove none
    std::string name = e.path().filename().string();
    if (keep.count(name)) continue;
    auto r = store_.get(name);
    // Recorded first: a crash before the folder is gone leaves a folder the
    // next clean-up removes, never a "good" record without its folder.
    if (r && (r->state == VersionState::kGood || r->state == VersionState::kTrial))
      store_.set_state(name, VersionState::kRemoved);
    // A staged copy of the same version (in staging/) still needs its manifest.
    if (!r || r->state != VersionState::kStaged) KeptManifest(layout_).remove(name);
    trash.move_in(e.path());
    spdlog::info("removed old version {}", name);
    crash_point("cleanup.removed");
  }
  // A stager at work holds the staging lock: its files are not leftovers.
  if (InstallLock::try_acquire(layout_.staging_lock_file())) {
    std::set<std::string> staged;
    for (const auto& r : store_.in_state(VersionState::kStaged)) staged.insert(r.version);
    RefusedVersions refused(store_);
    for (const auto& e : stdfs::directory_iterator(layout_.staging_dir(), ec)) {
      std::string name = e.path().filename().string();
      // Staged versions wait for apply; downloads of a version that may still be wanted resume later.
      if (staged.count(name)) continue;
      if (auto v = Layout::download_version(name); v && still_wanted(*v, current, refused)) continue;
      trash.move_in(e.path());
    }
  }
  PendingMarker(layout_).clear_if_idle(store_);
}

}  // namespace upkeep
