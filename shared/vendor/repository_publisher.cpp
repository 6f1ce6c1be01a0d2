#include "vendor/repository_publisher.h"


#include <vector>

#include "error.h"
#include "process.h"
#include "fs.h"
#include "hash.h"
#include "manifest.h"
#include "update/package.h"
#include "version.h"

namespace upkeep::vendor {
namespace stdfs = std::filesystem;

namespace {

constexpr uint64_t kMaxMetadataBytes = 64u << 20;

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

std::string versioned(const tuf::RootMetadata& root, int64_t version, const char* role) {
  std::string plain = std::string(role) + ".json";
  return root.consistent_snapshot ? std::to_string(version) + "." + plain : plain;
}

tuf::MetaFile describe(int64_t version, const std::string& text) {
  tuf::MetaFile m;
  m.version = version;
  m.length = text.size();
  m.hashes["sha256"] = sha256_hex(text);
  return m;
}

// Files and folders created by one publish, removed again unless committed.
class Undo {
 public:
  ~Undo() {
    if (committed_) return;
    std::error_code ec;
    for (auto it = files_.rbegin(); it != files_.rend(); ++it) stdfs::remove(*it, ec);
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) stdfs::remove(*it, ec);  // only when empty
  }
  // Records `file` when it does not exist yet (an identical leftover stays).
  void file(const stdfs::path& f) {
    if (!stdfs::exists(f)) files_.push_back(f);
  }
  // Creates `dir` below `base`, recording each folder it had to make.
  void make_dirs(const stdfs::path& base, const stdfs::path& rel) {
    stdfs::path p = base;
    for (const auto& part : rel) {
      p /= part;
      if (!stdfs::exists(p)) {
        fs::create_directories_durable(p);
        dirs_.push_back(p);
      }
    }
  }
  void commit() { committed_ = true; }

 private:
  std::vector<stdfs::path> files_;
  std::vector<stdfs::path> dirs_;
  bool committed_ = false;
};

}  // namespace


RepositoryPublisher::RepositoryPublisher(stdfs::path repo_dir, const KeyStore& keys, Expiries expiries,
                                         std::function<std::time_t()> now)
    : repo_dir_(std::move(repo_dir)), keys_(keys), expiries_(expiries), now_(std::move(now)) {}

bool RepositoryPublisher::is_initialized(const stdfs::path& repo_dir) {
  return stdfs::exists(repo_dir / "metadata" / "1.root.json") || stdfs::exists(repo_dir / "metadata" / "root.json") ||
         stdfs::exists(repo_dir / "metadata" / "timestamp.json");
}

std::time_t RepositoryPublisher::expiry(std::chrono::seconds valid_for) const {
  return now_() + static_cast<std::time_t>(valid_for.count());
}

std::string RepositoryPublisher::sign_to_text(const Json& signed_json, const char* role) const {
  tuf::Envelope e;
  e.signed_json = signed_json;
  e.sign(*keys_.load_key(role));
  return e.to_text();
}

void RepositoryPublisher::initialize() {
  if (is_initialized(repo_dir_))
    fail(ErrorCode::kExists, metadata_dir().string() + " already holds a repository; refusing to replace its root");
  tuf::RootMetadata root;
  root.expires = expiry(expiries_.root);
  for (const char* role : {tuf::kRootRole, tuf::kTargetsRole, tuf::kSnapshotRole, tuf::kTimestampRole}) {
    auto pub = tuf::PublicKey::from_json(keys_.load_key(role)->public_key().to_json());
    std::string id = pub->key_id();
    root.keys[id] = pub;
    root.roles[role].keyids.push_back(id);
    root.roles[role].threshold = 1;
  }
  tuf::TargetsMetadata targets;
  targets.expires = expiry(expiries_.targets);
  std::string targets_text = sign_to_text(targets.to_json(), tuf::kTargetsRole);
  tuf::SnapshotMetadata snapshot;
  snapshot.expires = expiry(expiries_.snapshot);
  snapshot.meta["targets.json"] = describe(1, targets_text);
  std::string snapshot_text = sign_to_text(snapshot.to_json(), tuf::kSnapshotRole);
  tuf::TimestampMetadata timestamp;
  timestamp.expires = expiry(expiries_.timestamp);
  timestamp.snapshot = describe(1, snapshot_text);
  std::string root_text = sign_to_text(root.to_json(), tuf::kRootRole);

  Undo undo;
  undo.make_dirs(repo_dir_, "metadata");
  undo.make_dirs(repo_dir_, "targets");
  const stdfs::path md = metadata_dir();
  const std::pair<std::string, const std::string*> files[] = {
      {"1.root.json", &root_text},
      {"root.json", &root_text},
      {versioned(root, 1, tuf::kTargetsRole), &targets_text},
      {versioned(root, 1, tuf::kSnapshotRole), &snapshot_text},
  };
  for (const auto& [name, text] : files) {
    undo.file(md / name);
    fs::write_file_atomic(md / name, *text);
  }
  undo.file(md / "timestamp.json");
  fs::write_file_atomic(md / "timestamp.json", sign_to_text(timestamp.to_json(), tuf::kTimestampRole));
  undo.commit();
}

tuf::Envelope RepositoryPublisher::load(const std::string& file_name, const tuf::RootMetadata& root,
                                        const char* role) const {
  stdfs::path path = metadata_dir() / file_name;
  if (!stdfs::exists(path))
    fail(ErrorCode::kNotFound, path.string() + " not found (is " + repo_dir_.string() + " an initialized repository?)");
  tuf::Envelope e = tuf::Envelope::parse(fs::read_file(path, kMaxMetadataBytes), path.string());
  tuf::verify_threshold(e, root.keys, root.role(role), path.string());
  return e;
}

RepositoryPublisher::State RepositoryPublisher::load_state() const {
  State s;
  stdfs::path root_path = metadata_dir() / "root.json";
  if (!stdfs::exists(root_path))
    fail(ErrorCode::kNotFound, root_path.string() + " not found (run 'upkeep keys init' first, or pass --repo DIR)");
  tuf::Envelope root_env = tuf::Envelope::parse(fs::read_file(root_path, kMaxMetadataBytes), root_path.string());
  s.root = tuf::RootMetadata::parse(root_env.signed_json, root_path.string());
  tuf::verify_threshold(root_env, s.root.keys, s.root.role(tuf::kRootRole), root_path.string());
  s.timestamp =
      tuf::TimestampMetadata::parse(load("timestamp.json", s.root, tuf::kTimestampRole).signed_json, "timestamp.json");
  std::string snapshot_name = versioned(s.root, s.timestamp.snapshot.version, tuf::kSnapshotRole);
  s.snapshot = tuf::SnapshotMetadata::parse(load(snapshot_name, s.root, tuf::kSnapshotRole).signed_json, snapshot_name);
  std::string targets_name = versioned(s.root, s.snapshot.meta.at("targets.json").version, tuf::kTargetsRole);
  s.targets = tuf::TargetsMetadata::parse(load(targets_name, s.root, tuf::kTargetsRole).signed_json, targets_name);
  return s;
}

tuf::RootMetadata RepositoryPublisher::current_root() const { return load_state().root; }
tuf::TimestampMetadata RepositoryPublisher::current_timestamp() const { return load_state().timestamp; }
tuf::SnapshotMetadata RepositoryPublisher::current_snapshot() const { return load_state().snapshot; }
tuf::TargetsMetadata RepositoryPublisher::current_targets() const { return load_state().targets; }

CommittedVersions RepositoryPublisher::commit_targets(tuf::TargetsMetadata targets) {
  State s = load_state();
  const stdfs::path md = metadata_dir();
  Undo undo;

  targets.spec_version = tuf::kSpecVersion;
  targets.version = s.targets.version + 1;
  targets.expires = expiry(expiries_.targets);
  std::string targets_text = sign_to_text(targets.to_json(), tuf::kTargetsRole);

  s.snapshot.spec_version = tuf::kSpecVersion;
  s.snapshot.version += 1;
  s.snapshot.expires = expiry(expiries_.snapshot);
  s.snapshot.meta["targets.json"] = describe(targets.version, targets_text);
  std::string snapshot_text = sign_to_text(s.snapshot.to_json(), tuf::kSnapshotRole);

  s.timestamp.spec_version = tuf::kSpecVersion;
  s.timestamp.version += 1;
  s.timestamp.expires = expiry(expiries_.timestamp);
  s.timestamp.snapshot = describe(s.snapshot.version, snapshot_text);
  std::string timestamp_text = sign_to_text(s.timestamp.to_json(), tuf::kTimestampRole);

  stdfs::path targets_path = md / versioned(s.root, targets.version, tuf::kTargetsRole);
  stdfs::path snapshot_path = md / versioned(s.root, s.snapshot.version, tuf::kSnapshotRole);
  undo.file(targets_path);
  fs::write_file_atomic(targets_path, targets_text);
  undo.file(snapshot_path);
  fs::write_file_atomic(snapshot_path, snapshot_text);
  // The commit point: clients see nothing new until timestamp.json changes.
  fs::write_file_atomic(md / "timestamp.json", timestamp_text);
  undo.commit();
  return {targets.version, s.snapshot.version, s.timestamp.version};
}

int64_t RepositoryPublisher::refresh_timestamp() {
  State s = load_state();
  s.timestamp.spec_version = tuf::kSpecVersion;
  s.timestamp.version += 1;
  s.timestamp.expires = expiry(expiries_.timestamp);
  fs::write_file_atomic(metadata_dir() / "timestamp.json", sign_to_text(s.timestamp.to_json(), tuf::kTimestampRole));
  return s.timestamp.version;
}

PublishedRelease RepositoryPublisher::publish_release(const stdfs::path& build_dir, const ReleaseInfo& info) {
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

  State s = load_state();
  const std::string rel = info.app_id + "/" + info.version + "/" + info.platform;
  PublishedRelease out;
  out.package_target = rel + "/package.zip";
  out.manifest_target = rel + "/files.json";
  for (const auto& [path, t] : s.targets.targets) {
    const Json& c = t.custom;
    auto other = Version::parse(c.get_string_or("version", ""));
    bool same = path == out.package_target || path == out.manifest_target ||
                (c.get_string_or("app_id", "") == info.app_id && c.get_string_or("platform", "") == info.platform &&
                 other && *other == *version);
    if (same)
      fail(ErrorCode::kExists, "version " + info.version + " of " + info.app_id + " for " + info.platform +
                                   " is already released (target " + path + " in " + repo_dir_.string() +
                                   "); release a new version instead");
  }

  FileManifest manifest = FileManifest::from_directory(build_dir, info.version);
  if (manifest.files().empty()) fail(ErrorCode::kBadInput, build_dir.string() + ": the build folder holds no files");
  const std::string manifest_text = manifest.to_json();
  const std::string manifest_sha = sha256_hex(manifest_text);

  Undo undo;
  const stdfs::path target_dir = repo_dir_ / "targets" / info.app_id / info.version / info.platform;
  undo.make_dirs(repo_dir_, stdfs::path("targets") / info.app_id / info.version / info.platform);
  out.manifest_file = target_dir / (manifest_sha + ".files.json");
  undo.file(out.manifest_file);
  fs::write_file_atomic(out.manifest_file, manifest_text);

  // Zip under a temporary name; only the finished, hashed file gets its real name.
  const stdfs::path tmp_zip = target_dir / (".package-" + std::to_string(process::current_pid()) + ".zip.tmp");
  undo.file(tmp_zip);
  create_package(build_dir, tmp_zip);
  fs::fsync_file(tmp_zip);
  out.package_sha256 = hash_file_hex(tmp_zip);
  out.package_length = stdfs::file_size(tmp_zip);
  out.package_file = target_dir / (out.package_sha256 + ".package.zip");
  undo.file(out.package_file);
  fs::rename_durable(tmp_zip, out.package_file);
  out.file_count = manifest.files().size();

  tuf::TargetFile package;
  package.path = out.package_target;
  package.length = out.package_length;
  package.hashes["sha256"] = out.package_sha256;
  package.custom = Json::object();
  package.custom["app_id"] = info.app_id;
  package.custom["version"] = info.version;
  package.custom["channel"] = info.channel;
  package.custom["platform"] = info.platform;
  package.custom["notes"] = info.notes;
  package.custom["critical"] = info.critical;
  package.custom["rollout"] = info.rollout;
  package.custom["manifest"] = out.manifest_target;
  package.custom["released"] = tuf::format_time(now_());
  tuf::TargetFile files;
  files.path = out.manifest_target;
  files.length = manifest_text.size();
  files.hashes["sha256"] = manifest_sha;

  tuf::TargetsMetadata targets = s.targets;
  targets.targets[package.path] = package;
  targets.targets[files.path] = files;
  commit_targets(std::move(targets));
  undo.commit();
  return out;
}

}  // namespace upkeep::vendor
