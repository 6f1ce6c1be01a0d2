#include "upkeep/publish/release_draft.h"

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/base/parallel_for.h"
#include "upkeep/delta/delta_bundle.h"
#include "upkeep/fileinfo/program_version.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/process.h"
#include "upkeep/publish/compression_preset.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/publish/release_history.h"
#include "upkeep/repository/repository_layout.h"
#include "upkeep/update/package.h"

namespace upkeep::publish {
namespace stdfs = std::filesystem;

namespace {

// Channel and platform names become folder names and URL segments.
void validate_name(const char* what, const std::string& value) {
  bool ok = !value.empty() && value.size() <= 64 && value[0] != '.';
  for (char c : value)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                c == '-');
  if (!ok)
    fail(ErrorCode::kUsage, std::string(what) + " '" + value +
                                "' is not valid (expected 1-64 characters of letters, digits, '.', '_', '-')");
}

// The release's version; the checks publish_release makes before it writes anything.
Version checked_release(const stdfs::path& build_dir, const ReleaseInfo& info) {
  validate_app_id(info.app_id);
  validate_name("channel", info.channel);
  validate_name("platform", info.platform);
  std::optional<Version> version = Version::parse(info.version);
  if (!version)
    fail(ErrorCode::kUsage, "version '" + info.version +
                                "' is not a version (expected SemVer like 1.2.3 or dotted numbers like 10.0.19041.1)");
  if (info.rollout < 0 || info.rollout > 100)
    fail(ErrorCode::kUsage, "rollout must be from 0 to 100, got " + std::to_string(info.rollout));
  if (!stdfs::is_directory(build_dir)) fail(ErrorCode::kNotFound, build_dir.string() + ": not a folder");
  return *version;
}

}  // namespace

ReleaseDraft::ReleaseDraft(const stdfs::path& repo_dir, const stdfs::path& build_dir, const ReleaseInfo& info)
    : repo_dir_(repo_dir), build_dir_(build_dir), info_(info), version_(checked_release(build_dir, info)) {
  rel_ = stdfs::path(info.app_id) / info.version / info.platform;
  const std::string target = rel_.generic_string();
  out_.package_target = target + "/package.zip";
  out_.manifest_target = target + "/files.json";
  delta_target_ = target + "/delta.zst";
  target_dir_ = RepositoryLayout::targets_dir(repo_dir_) / rel_;
}

void ReleaseDraft::refuse_released_again(const tuf::TargetsMetadata& targets) const {
  for (const auto& [path, t] : targets.targets) {
    const ReleaseFacts other = ReleaseFacts::read(t.custom);
    auto v = Version::parse(other.version);
    bool same = path == out_.package_target || path == out_.manifest_target || path == delta_target_ ||
                (other.app_id == info_.app_id && other.platform == info_.platform && v && *v == version_);
    if (same)
      fail(ErrorCode::kExists, "version " + info_.version + " of " + info_.app_id + " for " + info_.platform +
                                   " is already released (target " + path + " in " + repo_dir_.string() +
                                   "); release a new version instead");
  }
}

void ReleaseDraft::write_manifest() {
  manifest_ = FileManifest::from_directory(build_dir_, info_.version, info_.hooks, info_.launch);
  if (manifest_.files().empty()) fail(ErrorCode::kBadInput, build_dir_.string() + ": the build folder holds no files");
  manifest_text_ = manifest_.to_json();
  manifest_sha_ = sha256_hex(manifest_text_);
  undo_.make_dirs(repo_dir_, stdfs::path(RepositoryLayout::kTargetsDir) / rel_);
  out_.manifest_file = target_dir_ / RepositoryLayout::consistent_name("files.json", manifest_sha_);
  undo_.file(out_.manifest_file);
  fs::write_file_atomic(out_.manifest_file, manifest_text_);
  out_.file_count = manifest_.files().size();
}

void ReleaseDraft::start_package() {
  package_tmp_ = target_dir_ / (".package-" + std::to_string(process::current_pid()) + ".zip.tmp");
  undo_.file(package_tmp_);
  const int level = package_level(info_.compression);
  package_ = std::async(std::launch::async, [this, level] {
    create_package(build_dir_, manifest_, package_tmp_, level);
    fs::fsync_file(package_tmp_);
  });
}

void ReleaseDraft::finish_package() {
  package_.get();
  out_.package_sha256 = hash_file_hex(package_tmp_);
  out_.package_length = stdfs::file_size(package_tmp_);
  out_.package_file = target_dir_ / RepositoryLayout::consistent_name("package.zip", out_.package_sha256);
  undo_.file(out_.package_file);
  fs::rename_durable(package_tmp_, out_.package_file);
}

std::optional<tuf::TargetFile> ReleaseDraft::write_delta_bundle(const tuf::TargetsMetadata& targets,
                                                                const DeltaProgress& progress) {
  if (info_.delta_from < 0) return std::nullopt;
  DeltaBuilder builder(repo_dir_, info_.app_id);
  builder.set_progress(progress);
  builder.set_compression({blob_level(info_.compression), blob_tuning(info_.compression),
                           info_.threads > 0 ? info_.threads : default_thread_count()});
  DeltaBuild b = builder.build(manifest_, build_dir_,
                               previous_releases(repo_dir_, targets, info_.app_id, info_.platform, version_,
                                                 static_cast<size_t>(info_.delta_from)));
  undo_.adopt(b.created_files, b.created_dirs);
  b.index.check_matches(manifest_);  // never sign routes for files the manifest does not hold
  // files.json inside, so a delta client needs no other metadata (delta/delta_bundle.h).
  const std::string bundle = delta::pack_delta_bundle(manifest_text_, b.index.to_json());
  tuf::TargetFile t;
  t.path = out_.delta_target = delta_target_;
  t.length = bundle.size();
  t.hashes["sha256"] = sha256_hex(bundle);
  out_.delta_file = target_dir_ / RepositoryLayout::consistent_name("delta.zst", t.sha256());
  undo_.file(out_.delta_file);
  fs::write_file_atomic(out_.delta_file, bundle);
  out_.delta = b.stats;
  return t;
}

std::map<std::string, std::string> ReleaseDraft::module_versions() const {
  std::map<std::string, std::string> out;
  for (const FileEntry& f : manifest_.files())
    if (!f.is_link())
      if (auto v = fileinfo::find_program_version(build_dir_ / f.path)) out.emplace(f.path, v->version);
  return out;
}

void ReleaseDraft::add_targets(tuf::TargetsMetadata& targets, const ReleaseFacts& facts) const {
  tuf::TargetFile package;
  package.path = out_.package_target;
  package.length = out_.package_length;
  package.hashes["sha256"] = out_.package_sha256;
  package.custom = facts.to_json();
  tuf::TargetFile files;
  files.path = out_.manifest_target;
  files.length = manifest_text_.size();
  files.hashes["sha256"] = manifest_sha_;
  targets.targets[package.path] = package;
  targets.targets[files.path] = files;
}

}  // namespace upkeep::publish
