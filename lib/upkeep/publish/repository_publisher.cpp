#include "upkeep/publish/repository_publisher.h"

#include <algorithm>
#include <set>
#include <vector>

#include "upkeep/delta/delta_bundle.h"
#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"
#include "upkeep/base/hash.h"
#include "upkeep/install/manifest.h"
#include "upkeep/platform/process.h"
#include "upkeep/update/package.h"
#include "upkeep/publish/release_history.h"
#include "upkeep/publish/undo.h"
#include "upkeep/base/version.h"

namespace upkeep::publish {
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

std::string short_ids(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id.substr(0, 16);
  return out.empty() ? "none" : out;
}

bool same_role(const tuf::RoleKeys& a, const tuf::RoleKeys& b) {
  return a.threshold == b.threshold && std::set<std::string>(a.keyids.begin(), a.keyids.end()) ==
                                           std::set<std::string>(b.keyids.begin(), b.keyids.end());
}

constexpr const char* kTopRoles[] = {tuf::kRootRole, tuf::kTargetsRole, tuf::kSnapshotRole, tuf::kTimestampRole};

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

void RepositoryPublisher::sign_role(tuf::Envelope& e, const tuf::RootMetadata& root, const char* role,
                                    const std::vector<const tuf::PrivateKey*>& extra) const {
  const tuf::RoleKeys& keys = root.role(role);
  std::set<std::string> signed_by;
  auto use = [&](const tuf::PrivateKey& k) {
    std::string id = k.key_id();
    if (signed_by.count(id) || std::find(keys.keyids.begin(), keys.keyids.end(), id) == keys.keyids.end()) return;
    e.sign(k);
    signed_by.insert(id);
  };
  for (const auto* k : extra) use(*k);
  for (const auto& k : keys_.load_keys(role)) use(*k);
  if (static_cast<int64_t>(signed_by.size()) < keys.threshold)
    fail(ErrorCode::kNotFound, std::string(role) + " metadata needs " + std::to_string(keys.threshold) +
                                   " signature(s) but " + std::to_string(signed_by.size()) + " of its keys (" +
                                   short_ids(keys.keyids) + ") are in " + keys_.folder(role).string());
}

std::string RepositoryPublisher::sign_to_text(const Json& signed_json, const tuf::RootMetadata& root, const char* role,
                                              const std::vector<const tuf::PrivateKey*>& extra) const {
  tuf::Envelope e;
  e.signed_json = signed_json;
  sign_role(e, root, role, extra);
  return e.to_text();
}

void RepositoryPublisher::initialize() {
  if (is_initialized(repo_dir_))
    fail(ErrorCode::kExists, metadata_dir().string() + " already holds a repository; refusing to replace its root");
  tuf::RootMetadata root;
  root.expires = expiry(expiries_.root);
  for (const char* role : kTopRoles) {
    auto keys = keys_.load_keys(role);
    if (keys.empty()) keys_.load_key(role);  // throws, naming the folder
    for (const auto& k : keys) {
      auto pub = tuf::PublicKey::from_json(k->public_key().to_json());
      std::string id = pub->key_id();
      root.keys[id] = pub;
      root.roles[role].keyids.push_back(id);
    }
    root.roles[role].threshold = 1;
  }
  tuf::TargetsMetadata targets;
  targets.expires = expiry(expiries_.targets);
  std::string targets_text = sign_to_text(targets.to_json(), root, tuf::kTargetsRole);
  tuf::SnapshotMetadata snapshot;
  snapshot.expires = expiry(expiries_.snapshot);
  snapshot.meta["targets.json"] = describe(1, targets_text);
  std::string snapshot_text = sign_to_text(snapshot.to_json(), root, tuf::kSnapshotRole);
  tuf::TimestampMetadata timestamp;
  timestamp.expires = expiry(expiries_.timestamp);
  timestamp.snapshot = describe(1, snapshot_text);
  std::string root_text = sign_to_text(root.to_json(), root, tuf::kRootRole);
  std::string timestamp_text = sign_to_text(timestamp.to_json(), root, tuf::kTimestampRole);

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
  fs::write_file_atomic(md / "timestamp.json", timestamp_text);
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
  std::string targets_text = sign_to_text(targets.to_json(), s.root, tuf::kTargetsRole);

  s.snapshot.spec_version = tuf::kSpecVersion;
  s.snapshot.version += 1;
  s.snapshot.expires = expiry(expiries_.snapshot);
  s.snapshot.meta["targets.json"] = describe(targets.version, targets_text);
  std::string snapshot_text = sign_to_text(s.snapshot.to_json(), s.root, tuf::kSnapshotRole);

  s.timestamp.spec_version = tuf::kSpecVersion;
  s.timestamp.version += 1;
  s.timestamp.expires = expiry(expiries_.timestamp);
  s.timestamp.snapshot = describe(s.snapshot.version, snapshot_text);
  std::string timestamp_text = sign_to_text(s.timestamp.to_json(), s.root, tuf::kTimestampRole);

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

int64_t RepositoryPublisher::set_rollout(const std::string& app_id, const std::string& version,
                                         const std::string& platform, int percent) {
  if (percent < 0 || percent > 100)
    fail(ErrorCode::kUsage, "rollout must be from 0 to 100 percent, got " + std::to_string(percent));
  std::optional<Version> wanted = Version::parse(version);
  if (!wanted) fail(ErrorCode::kUsage, "version '" + version + "' is not a version");
  tuf::TargetsMetadata targets = load_state().targets;
  for (auto& [path, t] : targets.targets) {
    Json& c = t.custom;
    if (!c.is_object() || !c.contains("manifest") || c.get_string_or("app_id", "") != app_id ||
        c.get_string_or("platform", "") != platform)
      continue;
    auto v = Version::parse(c.get_string_or("version", ""));
    if (!v || *v != *wanted) continue;
    const int64_t before = c.get_int_or("rollout", 100);
    c["rollout"] = percent;
    commit_targets(std::move(targets));
    return before;
  }
  fail(ErrorCode::kNotFound,
       "version " + version + " of " + app_id + " for " + platform + " is not released in " + repo_dir_.string());
}

int64_t RepositoryPublisher::refresh_timestamp() {
  State s = load_state();
  s.timestamp.spec_version = tuf::kSpecVersion;
  s.timestamp.version += 1;
  s.timestamp.expires = expiry(expiries_.timestamp);
  std::string text = sign_to_text(s.timestamp.to_json(), s.root, tuf::kTimestampRole);
  fs::write_file_atomic(metadata_dir() / "timestamp.json", text);
  return s.timestamp.version;
}

RootUpdate RepositoryPublisher::prepare_root_update(tuf::RootMetadata root,
                                                    const std::vector<const tuf::PrivateKey*>& new_keys) const {
  State s = load_state();
  for (const char* role : kTopRoles) {
    auto it = root.roles.find(role);
    if (it == root.roles.end() || it->second.keyids.empty())
      fail(ErrorCode::kUsage, std::string("the ") + role + " role would have no keys; every role needs at least one");
    const tuf::RoleKeys& r = it->second;
    if (r.threshold < 1 || r.threshold > static_cast<int64_t>(r.keyids.size()))
      fail(ErrorCode::kUsage, std::string("threshold ") + std::to_string(r.threshold) + " of the " + role +
                                  " role must be from 1 to its number of keys (" + std::to_string(r.keyids.size()) +
                                  ")");
    for (const auto& id : r.keyids)
      if (!root.keys.count(id))
        fail(ErrorCode::kUsage, std::string("key ") + id + " of the " + role + " role is not in the root's keys");
  }
  // Keys that no role lists any more leave the root.
  std::set<std::string> used;
  for (const auto& [name, r] : root.roles) used.insert(r.keyids.begin(), r.keyids.end());
  for (auto it = root.keys.begin(); it != root.keys.end();)
    it = used.count(it->first) ? std::next(it) : root.keys.erase(it);

  root.spec_version = tuf::kSpecVersion;
  root.version = s.root.version + 1;
  root.expires = expiry(expiries_.root);
  RootUpdate update;
  update.root_version = root.version;

  // Spec 5.3.4: a threshold of the trusted (old) root keys and of the new ones.
  tuf::Envelope env;
  env.signed_json = root.to_json();
  sign_role(env, s.root, tuf::kRootRole, new_keys);
  sign_role(env, root, tuf::kRootRole, new_keys);
  const std::string root_name = std::to_string(root.version) + ".root.json";
  tuf::verify_threshold(env, s.root.keys, s.root.role(tuf::kRootRole),
                        root_name + " (by the keys of root version " + std::to_string(s.root.version) + ")");
  tuf::verify_threshold(env, root.keys, root.role(tuf::kRootRole), root_name + " (by its own keys)");
  const std::string root_text = env.to_text();
  update.files.emplace_back(root_name, root_text);
  update.files.emplace_back("root.json", root_text);

  // Metadata signed by keys that changed is re-signed, and so is what lists it.
  const bool targets = !same_role(s.root.role(tuf::kTargetsRole), root.role(tuf::kTargetsRole));
  const bool snapshot = targets || !same_role(s.root.role(tuf::kSnapshotRole), root.role(tuf::kSnapshotRole));
  const bool timestamp = snapshot || !same_role(s.root.role(tuf::kTimestampRole), root.role(tuf::kTimestampRole));
  if (targets) {
    s.targets.spec_version = tuf::kSpecVersion;
    s.targets.version += 1;
    s.targets.expires = expiry(expiries_.targets);
    std::string text = sign_to_text(s.targets.to_json(), root, tuf::kTargetsRole, new_keys);
    s.snapshot.meta["targets.json"] = describe(s.targets.version, text);
    update.files.emplace_back(versioned(root, s.targets.version, tuf::kTargetsRole), std::move(text));
    update.resigned.push_back(tuf::kTargetsRole);
  }
  if (snapshot) {
    s.snapshot.spec_version = tuf::kSpecVersion;
    s.snapshot.version += 1;
    s.snapshot.expires = expiry(expiries_.snapshot);
    std::string text = sign_to_text(s.snapshot.to_json(), root, tuf::kSnapshotRole, new_keys);
    s.timestamp.snapshot = describe(s.snapshot.version, text);
    update.files.emplace_back(versioned(root, s.snapshot.version, tuf::kSnapshotRole), std::move(text));
    update.resigned.push_back(tuf::kSnapshotRole);
  }
  if (timestamp) {
    s.timestamp.spec_version = tuf::kSpecVersion;
    s.timestamp.version += 1;
    s.timestamp.expires = expiry(expiries_.timestamp);
    update.files.emplace_back("timestamp.json",
                              sign_to_text(s.timestamp.to_json(), root, tuf::kTimestampRole, new_keys));
    update.resigned.push_back(tuf::kTimestampRole);
  }
  return update;
}

void RepositoryPublisher::write_root_update(const RootUpdate& update) {
  const stdfs::path md = metadata_dir();
  if (stdfs::exists(md / (std::to_string(update.root_version) + ".root.json")))
    fail(ErrorCode::kExists, (md / (std::to_string(update.root_version) + ".root.json")).string() +
                                 " already exists; the repository changed since the update was prepared");
  Undo undo;
  for (const auto& [name, text] : update.files) undo.write(md / name, text);
  undo.commit();
}

PublishedRelease RepositoryPublisher::publish_release(const stdfs::path& build_dir, const ReleaseInfo& info,
                                                      const DeltaProgress& progress) {
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
  const std::string delta_target = rel + "/delta.zst";
  for (const auto& [path, t] : s.targets.targets) {
    const Json& c = t.custom;
    auto other = Version::parse(c.get_string_or("version", ""));
    bool same = path == out.package_target || path == out.manifest_target || path == delta_target ||
                (c.get_string_or("app_id", "") == info.app_id && c.get_string_or("platform", "") == info.platform &&
                 other && *other == *version);
    if (same)
      fail(ErrorCode::kExists, "version " + info.version + " of " + info.app_id + " for " + info.platform +
                                   " is already released (target " + path + " in " + repo_dir_.string() +
                                   "); release a new version instead");
  }

  FileManifest manifest = FileManifest::from_directory(build_dir, info.version, info.hooks);
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

  // Delta store and delta bundle: after the package, so a failure of either
  // is undone with the rest.
  std::optional<tuf::TargetFile> delta_bundle;
  if (info.delta_from >= 0) {
    DeltaBuilder builder(repo_dir_, info.app_id);
    builder.set_progress(progress);
    DeltaBuild d = builder.build(manifest, build_dir,
                                 previous_releases(repo_dir_, s.targets, info.app_id, info.platform, *version,
                                                   static_cast<size_t>(info.delta_from)));
    undo.adopt(d.created_files, d.created_dirs);
    d.index.check_matches(manifest);  // never sign routes for files the manifest does not hold
    // files.json inside, so a delta client needs no other metadata (delta/delta_bundle.h).
    const std::string bundle = delta::pack_delta_bundle(manifest_text, d.index.to_json());
    delta_bundle.emplace();
    delta_bundle->path = out.delta_target = delta_target;
    delta_bundle->length = bundle.size();
    delta_bundle->hashes["sha256"] = sha256_hex(bundle);
    out.delta_file = target_dir / (delta_bundle->sha256() + ".delta.zst");
    undo.file(out.delta_file);
    fs::write_file_atomic(out.delta_file, bundle);
    out.delta = d.stats;
  }

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
  if (!info.desktop.is_null()) package.custom["desktop"] = info.desktop;
  package.custom["manifest"] = out.manifest_target;
  package.custom["released"] = tuf::format_time(now_());
  if (delta_bundle) package.custom["delta"] = delta_bundle->path;  // how a client finds it
  tuf::TargetFile files;
  files.path = out.manifest_target;
  files.length = manifest_text.size();
  files.hashes["sha256"] = manifest_sha;

  tuf::TargetsMetadata targets = s.targets;
  targets.targets[package.path] = package;
  targets.targets[files.path] = files;
  if (delta_bundle) targets.targets[delta_bundle->path] = *delta_bundle;
  commit_targets(std::move(targets));
  undo.commit();
  return out;
}

}  // namespace upkeep::publish
