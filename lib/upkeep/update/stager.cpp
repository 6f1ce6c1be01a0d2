#include "upkeep/update/stager.h"

#include <spdlog/spdlog.h>

#include "upkeep/install/applier.h"
#include "upkeep/delta/delta_bundle.h"
#include "upkeep/base/error.h"
#include "upkeep/platform/fault_injection.h"
#include "upkeep/platform/fs.h"
#include "upkeep/base/hash.h"
#include "upkeep/platform/install_lock.h"
#include "upkeep/install/manifest.h"
#include "upkeep/install/state_store.h"
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

// The signed manifest, checked against its target info before it is parsed.
FileManifest fetch_manifest(net::Fetcher& fetcher, const ReleaseInfo& release, const std::string& url, std::string& text) {
  text = fetcher.get(url, release.manifest.length);
  if (text.size() != release.manifest.length)
    fail(ErrorCode::kVerification, release.manifest.path + ": " + std::to_string(text.size()) +
                                       " bytes, the signed length is " + std::to_string(release.manifest.length));
  if (sha256_hex(text) != release.manifest.sha256())
    fail(ErrorCode::kVerification, release.manifest.path + ": SHA-256 does not match the signed hash");
  return parse_manifest(release, text);
}

// What the release's delta bundle gives: the signed manifest and the routes to its files.
struct DeltaMetadata {
  std::string manifest_text;
  FileManifest manifest;
  delta::DeltaIndex index;
};

// The signed delta bundle (delta/delta_bundle.h), or nullopt (logged) when it
// cannot be fetched or does not pass its checks: the package route, which
// fetches files.json on its own, still can.
std::optional<DeltaMetadata> fetch_delta_metadata(net::Fetcher& fetcher, const ReleaseInfo& release,
                                                  const std::string& url) {
  if (!release.delta || url.empty()) return std::nullopt;
  const tuf::TargetFile& t = *release.delta;
  try {
    delta::DeltaBundle parts = delta::unpack_delta_bundle(fetcher.get(url, t.length), {t.length, t.sha256()},
                                                          {release.manifest.length, release.manifest.sha256()}, t.path);
    DeltaMetadata d{std::move(parts.manifest_text), {}, {}};
    d.manifest = parse_manifest(release, d.manifest_text);
    d.index = delta::DeltaIndex::parse(parts.index_text, t.path + ": the delta index");
    d.index.check_matches(d.manifest);
    return d;
  } catch (const Error& e) {
    spdlog::warn("{}; using the package and {} instead", e.what(), release.manifest.path);
    return std::nullopt;
  }
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

void Stager::stage(const ReleaseInfo& release, const ReleaseUrls& urls, net::DownloadProgress* progress) {
  const std::string& v = release.version;
  fs::create_directories_durable(layout_.staging_dir());
  fs::create_directories_durable(layout_.manifests_dir());
  // Waits a little: the launcher's clean-up holds this lock for a moment to
  // see whether staging is idle, and a second stager then finds the version
  // staged. A stager still at work after that is reported (kLockTimeout).
  auto staging_lock = InstallLock::acquire(layout_.staging_lock_file(), kStagingLockWait);

  {
    StateStore store(layout_.state_db());
    auto rec = store.get(v);
    if (rec && rec->state == VersionState::kStaged && stdfs::is_directory(layout_.staged_dir(v))) return;
    if (auto j = store.journal(); j && j->version == v) {
      // An apply of v was interrupted (its folder may already be in versions/): the launcher finishes it.
      if (j->op == JournalOp::kApply) return;
      fail(ErrorCode::kVerification, "version " + v + " is being rolled back");
    }
    if (rec && rec->state == VersionState::kBad) fail(ErrorCode::kVerification, "version " + v + " is marked bad");
    if (rec && rec->state == VersionState::kQuarantined)
      fail(ErrorCode::kVerification, "version " + v + " is quarantined");
  }

  // The delta bundle holds the manifest: files.json is fetched only without it.
  std::optional<DeltaMetadata> delta = fetch_delta_metadata(fetcher_, release, urls.delta);
  std::string manifest_text;
  FileManifest manifest;
  if (delta) {
    manifest_text = std::move(delta->manifest_text);
    manifest = std::move(delta->manifest);
  } else {
    manifest = fetch_manifest(fetcher_, release, urls.manifest, manifest_text);
  }
  check_space(layout_, release, manifest);
  crash_point("stage.manifest_fetched");

  stdfs::path zip = layout_.package_download(v);
  stdfs::path dest = layout_.staged_dir(v);
  if (delta) {
    auto r = DeltaStager(layout_, fetcher_)
                 .stage(manifest, delta->index, urls.delta_source, release.package.length, dest, progress);
    if (r.staged) {
      spdlog::info(
          "rebuilt {} from {} local, {} patched and {} whole files: {} bytes over the network ({} planned, "
          "package {}){}",
          v, r.have, r.patched, r.blobs, r.bytes_transferred, r.planned_bytes, release.package.length,
          r.patch_fallbacks ? ", " + std::to_string(r.patch_fallbacks) + " patch(es) replaced by whole files" : "");
      crash_point("stage.extracted");
      fs::write_file_atomic(layout_.manifest_file(v), manifest_text);
      return record(v, manifest, manifest_text);
    }
  }
  try {
    if (have_verified_package(zip, release)) {
      spdlog::info("{}: verified by an earlier run, not downloaded again", zip.string());
    } else {
      auto got = fetcher_.download(urls.package, zip, release.package.length, release.package.sha256(), progress);
      spdlog::info("downloaded {}: {} of {} bytes over the network{}", zip.filename().string(), got.bytes_transferred,
                   release.package.length, got.resumed ? " (resumed)" : "");
    }
    crash_point("stage.downloaded");
    fs::remove_tree(dest);  // an unrecorded leftover of an interrupted run
    extract_package(zip, dest, manifest);
    crash_point("stage.extracted");
    fs::write_file_atomic(layout_.manifest_file(v), manifest_text);
  } catch (...) {
    // Keep a resumable *.part (fetcher's choice); remove everything else half-done.
    std::error_code ec;
    stdfs::remove(zip, ec);
    fs::remove_tree(dest);
    throw;
  }
  stdfs::remove(zip);
  record(v, manifest, manifest_text);
}

void Stager::record(const std::string& v, const FileManifest& manifest, const std::string& manifest_text) {
  {
    auto lock = InstallLock::acquire(layout_.lock_file(), std::chrono::seconds(120));
    StateStore store(layout_.state_db());
    set_pending_marker(layout_);  // before the record: "no marker" must mean "nothing to do"
    crash_point("stage.marked");
    store.record_staged(v, sha256_hex(manifest_text), manifest.listing_digest());
  }
  crash_point("stage.recorded");
  spdlog::info("staged {} ({} files, {} bytes)", v, manifest.files().size(), manifest.total_size());
}

}  // namespace upkeep
