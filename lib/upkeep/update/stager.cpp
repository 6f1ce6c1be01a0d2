#include "upkeep/update/stager.h"

#include <spdlog/spdlog.h>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/delta/delta_bundle.h"
#include "upkeep/install/kept_manifest.h"
#include "upkeep/install/manifest.h"
#include "upkeep/install/pending_marker.h"
#include "upkeep/install/refused_versions.h"
#include "upkeep/install/state_recovery.h"
#include "upkeep/install/state_store.h"
#include "upkeep/install/trash.h"
#include "upkeep/platform/fault_injection.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/install_lock.h"
#include "upkeep/update/delta_stager.h"
#include "upkeep/update/package.h"

namespace upkeep {
namespace stdfs = std::filesystem;

namespace {

constexpr std::chrono::seconds kStagingLockWait{10};

// The manifest text as signed (checked by the caller), parsed for `release`.
FileManifest parse_manifest(const ReleaseInfo& release, const std::string& text) {
  FileManifest m = FileManifest::parse(text, release.manifest.path);
  if (m.version() != release.version)
    fail(ErrorCode::kVerification,
         release.manifest.path + ": lists version " + m.version() + ", expected " + release.version);
  return m;
}

// What staging works from: the release's signed manifest and, when its delta
// bundle passed its checks, the routes to the manifest's files.
struct ReleaseMetadata {
  std::string manifest_text;
  FileManifest manifest;
  std::optional<delta::DeltaIndex> delta_index;
};

// The signed manifest, checked against its target info before it is parsed.
ReleaseMetadata fetch_manifest(net::Fetcher& fetcher, const ReleaseInfo& release, const std::string& url) {
  std::string text = fetcher.get(url, release.manifest.length);
  // Wrong bytes from the network say nothing about the release (Fault::kDelivery: not a failed try).
  if (text.size() != release.manifest.length)
    fail(ErrorCode::kVerification,
         release.manifest.path + ": " + std::to_string(text.size()) + " bytes, the signed length is " +
             std::to_string(release.manifest.length),
         Fault::kDelivery);
  if (sha256_hex(text) != release.manifest.sha256())
    fail(ErrorCode::kVerification, release.manifest.path + ": SHA-256 does not match the signed hash",
         Fault::kDelivery);
  FileManifest manifest = parse_manifest(release, text);
  return {std::move(text), std::move(manifest), std::nullopt};
}

// The signed delta bundle (delta/delta_bundle.h), or nullopt (logged) when it
// cannot be fetched or does not pass its checks: the package route, which
// fetches files.json on its own, still can.
std::optional<ReleaseMetadata> fetch_delta_metadata(net::Fetcher& fetcher, const ReleaseInfo& release,
                                                    const std::string& url) {
  if (!release.delta || url.empty()) return std::nullopt;
  const tuf::TargetFile& t = *release.delta;
  try {
    delta::DeltaBundle parts = delta::unpack_delta_bundle(fetcher.get(url, t.length), {t.length, t.sha256()},
                                                          {release.manifest.length, release.manifest.sha256()}, t.path);
    ReleaseMetadata d{std::move(parts.manifest_text), {}, {}};
    d.manifest = parse_manifest(release, d.manifest_text);
    d.delta_index = delta::DeltaIndex::parse(parts.index_text, t.path + ": the delta index");
    d.delta_index->check_matches(d.manifest);
    return d;
  } catch (const Error& e) {
    spdlog::warn("{}; using the package and {} instead", e.what(), release.manifest.path);
    return std::nullopt;
  }
}

// The delta bundle holds the manifest: files.json is fetched only without it.
ReleaseMetadata fetch_metadata(net::Fetcher& fetcher, const ReleaseInfo& release, const ReleaseUrls& urls) {
  if (auto d = fetch_delta_metadata(fetcher, release, urls.delta)) return std::move(*d);
  return fetch_manifest(fetcher, release, urls.manifest);
}

void check_space(const Layout& layout, const ReleaseInfo& release, const FileManifest& manifest) {
  uint64_t need = release.package.length + manifest.total_size();
  uint64_t have = fs::available_bytes(layout.staging_dir());
  if (have < need)
    fail(ErrorCode::kNoSpace, "not enough space to stage " + release.version + ": need " + std::to_string(need) +
                                  " bytes, " + std::to_string(have) + " available on " + layout.staging_dir().string());
}

// A package an earlier run downloaded and verified but died before extracting.
bool have_verified_package(const stdfs::path& zip, const ReleaseInfo& release) {
  std::error_code ec;
  if (stdfs::file_size(zip, ec) != release.package.length || ec) return false;
  return hash_file_hex(zip) == release.package.sha256();
}

}  // namespace

ReleaseUrls ReleaseUrls::of(const ReleaseInfo& release, const tuf::Client& client, const std::string& app_id,
                            bool use_delta) {
  ReleaseUrls u;
  u.package = client.target_url(release.package);
  u.manifest = client.target_url(release.manifest);
  if (use_delta && release.delta) u.delta = client.target_url(*release.delta);
  u.delta_source = {app_id, client.targets_url()};
  return u;
}

// Reads like Applier::apply: each step is named, and nothing is recorded
// before the last one (record), where the staged version becomes durable.
void Stager::stage(const ReleaseInfo& release, const ReleaseUrls& urls, net::DownloadProgress* progress) {
  fs::create_directories_durable(layout_.staging_dir());
  fs::create_directories_durable(layout_.manifests_dir());
  // Waits a little: the launcher's clean-up holds this lock for a moment to
  // see whether staging is idle, and a second stager then finds the version
  // staged. A stager still at work after that is reported (kLockTimeout).
  auto staging_lock = InstallLock::acquire(layout_.staging_lock_file(), kStagingLockWait);
  if (nothing_to_stage(release.version)) return;

  ReleaseMetadata meta = fetch_metadata(fetcher_, release, urls);
  check_space(layout_, release, meta.manifest);
  crash_point("stage.manifest_fetched");

  bool rebuilt = meta.delta_index &&
                 stage_from_delta(release, urls, meta.manifest, *meta.delta_index, meta.manifest_text, progress);
  if (!rebuilt) stage_from_package(release, urls, meta.manifest, meta.manifest_text, progress);
  record(release.version, meta.manifest, meta.manifest_text);
}

namespace {

// Another launch may have applied `v` since a check chose it (launchers
// checking on start at once): it is installed, and staging it again would
// turn its record back into "staged" (and the launcher would discard it).
bool already_installed(const Layout& layout, const StateStore& store, const std::string& v) {
  auto rec = store.get(v);
  return layout.current_version() == v ||
         (rec && (rec->state == VersionState::kGood || rec->state == VersionState::kTrial));
}

}  // namespace

bool Stager::nothing_to_stage(const std::string& v) const {
  StateStore store = StateRecovery(layout_).open();
  auto rec = store.get(v);
  if (rec && rec->state == VersionState::kStaged && stdfs::is_directory(layout_.staged_dir(v))) return true;
  if (already_installed(layout_, store, v)) return true;
  // An apply of v was interrupted (its folder may already be in versions/): the launcher finishes it.
  if (auto j = store.journal(); j && j->version == v && j->op == JournalOp::kApply) return true;
  if (auto why = RefusedVersions(store).why(v)) fail(ErrorCode::kVerification, "version " + v + " is " + *why);
  return false;
}

bool Stager::stage_from_delta(const ReleaseInfo& release, const ReleaseUrls& urls, const FileManifest& manifest,
                              const delta::DeltaIndex& index, const std::string& manifest_text,
                              net::DownloadProgress* progress) {
  const std::string& v = release.version;
  auto r = DeltaStager(layout_, fetcher_)
               .stage(manifest, index, urls.delta_source, release.package.length, layout_.staged_dir(v), progress);
  if (!r.staged) return false;
  spdlog::info(
      "rebuilt {} from {} local, {} patched and {} whole files: {} bytes over the network ({} planned, "
      "package {}){}",
      v, r.have, r.patched, r.blobs, r.bytes_transferred, r.planned_bytes, release.package.length,
      r.patch_fallbacks ? ", " + std::to_string(r.patch_fallbacks) + " patch(es) replaced by whole files" : "");
  crash_point("stage.extracted");
  KeptManifest(layout_).save(manifest, manifest_text);  // and the launch spec
  return true;
}

void Stager::stage_from_package(const ReleaseInfo& release, const ReleaseUrls& urls, const FileManifest& manifest,
                                const std::string& manifest_text, net::DownloadProgress* progress) {
  const std::string& v = release.version;
  stdfs::path zip = layout_.package_download(v);
  stdfs::path dest = layout_.staged_dir(v);
  try {
    if (have_verified_package(zip, release)) {
      spdlog::info("{}: verified by an earlier run, not downloaded again", zip.string());
    } else {
      auto got = fetcher_.download(urls.package, zip, release.package.length, release.package.sha256(), progress);
      spdlog::info("downloaded {}: {} of {} bytes over the network{}", zip.filename().string(), got.bytes_transferred,
                   release.package.length, got.resumed ? " (resumed)" : "");
    }
    crash_point("stage.downloaded");
    if (progress) progress->on_verifying();
    // Unrecorded leftovers of an interrupted run, maybe thousands of files:
    // out of the way at once, deleted by the launcher's next clean-up (trash.h).
    Trash(layout_).move_in(dest);
    Trash(layout_).move_in(dest.string() + ".tmp-extract");
    extract_package(zip, dest, manifest);
    crash_point("stage.extracted");
    KeptManifest(layout_).save(manifest, manifest_text);  // and the launch spec
  } catch (...) {
    // Keep a resumable *.part (fetcher's choice); remove everything else half-done.
    std::error_code ec;
    stdfs::remove(zip, ec);
    fs::remove_tree(dest);
    throw;
  }
  stdfs::remove(zip);
}

void Stager::record(const std::string& v, const FileManifest& manifest, const std::string& manifest_text) {
  {
    auto lock = InstallLock::acquire(layout_.lock_file(), std::chrono::seconds(120));
    StateStore store = StateRecovery(layout_).open();
    if (already_installed(layout_, store, v)) {  // applied by another launch while this one downloaded
      spdlog::info("{} was installed meanwhile: not staged again", v);
      fs::remove_tree(layout_.staged_dir(v));
      return;
    }
    PendingMarker(layout_).set();  // before the record: "no marker" must mean "nothing to do"
    crash_point("stage.marked");
    // The point of no return: from this commit on, v is staged and the launcher may apply it.
    store.record_staged(v, sha256_hex(manifest_text), manifest.listing_digest());
  }
  crash_point("stage.recorded");
  spdlog::info("staged {} ({} files, {} bytes)", v, manifest.files().size(), manifest.total_size());
}

}  // namespace upkeep
