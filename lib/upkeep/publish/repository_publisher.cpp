#include "upkeep/publish/repository_publisher.h"

#include <algorithm>
#include <set>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/base/version.h"
#include "upkeep/platform/fs.h"
#include "upkeep/publish/release_draft.h"
#include "upkeep/publish/undo.h"
#include "upkeep/repository/release_facts.h"
#include "upkeep/repository/repository_layout.h"

namespace upkeep::publish {
namespace stdfs = std::filesystem;

namespace {

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

}  // namespace

RepositoryPublisher::RepositoryPublisher(stdfs::path repo_dir, const KeyStore& keys, Expiries expiries,
                                         const Clock& clock)
    : repo_dir_(std::move(repo_dir)), keys_(keys), expiries_(expiries), clock_(clock) {}

bool RepositoryPublisher::is_initialized(const stdfs::path& repo_dir) {
  const stdfs::path md = RepositoryLayout::metadata_dir(repo_dir);
  return stdfs::exists(md / RepositoryLayout::root_file_name(1)) || stdfs::exists(md / "root.json") ||
         stdfs::exists(md / "timestamp.json");
}

std::time_t RepositoryPublisher::expiry(std::chrono::seconds valid_for) const {
  return clock_.unix_now() + static_cast<std::time_t>(valid_for.count());
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
  for (const char* role : tuf::kTopLevelRoles) {
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
  undo.make_dirs(repo_dir_, RepositoryLayout::kMetadataDir);
  undo.make_dirs(repo_dir_, RepositoryLayout::kTargetsDir);
  const stdfs::path md = metadata_dir();
  const std::pair<std::string, const std::string*> files[] = {
      {RepositoryLayout::root_file_name(1), &root_text},
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
  tuf::Envelope e = tuf::Envelope::parse(fs::read_file(path, tuf::kMaxLocalMetadataBytes), path.string());
  tuf::verify_threshold(e, root.keys, root.role(role), path.string());
  return e;
}

RepositoryPublisher::State RepositoryPublisher::load_state() const {
  State s;
  stdfs::path root_path = metadata_dir() / "root.json";
  if (!stdfs::exists(root_path))
    fail(ErrorCode::kNotFound, root_path.string() + " not found (run 'upkeep keys init' first, or pass --repo DIR)");
  tuf::Envelope root_env =
      tuf::Envelope::parse(fs::read_file(root_path, tuf::kMaxLocalMetadataBytes), root_path.string());
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
  commit_targets(s, std::move(targets));
  return {s.targets.version, s.snapshot.version, s.timestamp.version};
}

void RepositoryPublisher::commit_targets(State& s, tuf::TargetsMetadata targets) {
  const stdfs::path md = metadata_dir();
  Undo undo;

  targets.spec_version = tuf::kSpecVersion;
  targets.version = s.targets.version + 1;
  targets.expires = expiry(expiries_.targets);
  std::string targets_text = sign_to_text(targets.to_json(), s.root, tuf::kTargetsRole);

  s.snapshot.meta["targets.json"] = describe(targets.version, targets_text);
  stdfs::path targets_path = md / versioned(s.root, targets.version, tuf::kTargetsRole);
  undo.file(targets_path);
  fs::write_file_atomic(targets_path, targets_text);
  s.targets = std::move(targets);
  commit_snapshot_and_timestamp(s, undo);
}

void RepositoryPublisher::commit_snapshot_and_timestamp(State& s, Undo& undo) {
  s.snapshot.spec_version = tuf::kSpecVersion;
  s.snapshot.version += 1;
  s.snapshot.expires = expiry(expiries_.snapshot);
  std::string snapshot_text = sign_to_text(s.snapshot.to_json(), s.root, tuf::kSnapshotRole);
  s.timestamp.snapshot = describe(s.snapshot.version, snapshot_text);
  stdfs::path snapshot_path = metadata_dir() / versioned(s.root, s.snapshot.version, tuf::kSnapshotRole);
  undo.file(snapshot_path);
  fs::write_file_atomic(snapshot_path, snapshot_text);
  commit_timestamp(s);
  undo.commit();
}

void RepositoryPublisher::commit_timestamp(State& s) {
  s.timestamp.spec_version = tuf::kSpecVersion;
  s.timestamp.version += 1;
  s.timestamp.expires = expiry(expiries_.timestamp);
  // The commit point: clients see nothing new until timestamp.json changes.
  fs::write_file_atomic(metadata_dir() / "timestamp.json",
                        sign_to_text(s.timestamp.to_json(), s.root, tuf::kTimestampRole));
}

int64_t RepositoryPublisher::set_rollout(const std::string& app_id, const std::string& version,
                                         const std::string& platform, int percent) {
  if (percent < 0 || percent > 100)
    fail(ErrorCode::kUsage, "rollout must be from 0 to 100 percent, got " + std::to_string(percent));
  std::optional<Version> wanted = Version::parse(version);
  if (!wanted) fail(ErrorCode::kUsage, "version '" + version + "' is not a version");
  tuf::TargetsMetadata targets = load_state().targets;
  for (auto& [path, t] : targets.targets) {
    if (!ReleaseFacts::names_release(t.custom)) continue;
    ReleaseFacts facts = ReleaseFacts::read(t.custom);
    auto v = Version::parse(facts.version);
    if (facts.app_id != app_id || facts.platform != platform || !v || *v != *wanted) continue;
    const int64_t before = facts.rollout;
    facts.rollout = percent;
    facts.write_into(t.custom);
    commit_targets(std::move(targets));
    return before;
  }
  fail(ErrorCode::kNotFound,
       "version " + version + " of " + app_id + " for " + platform + " is not released in " + repo_dir_.string());
}

RefreshedMetadata RepositoryPublisher::refresh_timestamp() {
  State s = load_state();
  // Clients refuse expired metadata (TUF 5.5.4, 5.6.6): an online role is
  // re-signed once half its lifetime is gone, when its key is at hand.
  const bool snapshot_key = !keys_.load_keys(tuf::kSnapshotRole).empty();
  const auto half_gone = [&](std::time_t expires, std::chrono::seconds lifetime) {
    return expires - clock_.unix_now() < lifetime.count() / 2;
  };
  RefreshedMetadata r;
  if (snapshot_key && half_gone(s.targets.expires, expiries_.targets) && !keys_.load_keys(tuf::kTargetsRole).empty()) {
    commit_targets(s, s.targets);
    r.resigned.push_back({tuf::kTargetsRole, s.targets.version, s.targets.expires});
    r.resigned.push_back({tuf::kSnapshotRole, s.snapshot.version, s.snapshot.expires});
  } else if (snapshot_key && half_gone(s.snapshot.expires, expiries_.snapshot)) {
    Undo undo;
    commit_snapshot_and_timestamp(s, undo);
    r.resigned.push_back({tuf::kSnapshotRole, s.snapshot.version, s.snapshot.expires});
  } else {
    commit_timestamp(s);
  }
  r.resigned.push_back({tuf::kTimestampRole, s.timestamp.version, s.timestamp.expires});
  return r;
}

RootUpdate RepositoryPublisher::prepare_root_update(tuf::RootMetadata root,
                                                    const std::vector<const tuf::PrivateKey*>& new_keys) const {
  State s = load_state();
  for (const char* role : tuf::kTopLevelRoles) {
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
  const std::string root_name = RepositoryLayout::root_file_name(root.version);
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
  const stdfs::path root_file = md / RepositoryLayout::root_file_name(update.root_version);
  if (stdfs::exists(root_file))
    fail(ErrorCode::kExists,
         root_file.string() + " already exists; the repository changed since the update was prepared");
  Undo undo;
  for (const auto& [name, text] : update.files) undo.write(md / name, text);
  undo.commit();
}

PublishedRelease RepositoryPublisher::publish_release(const stdfs::path& build_dir, const ReleaseInfo& info,
                                                      const DeltaProgress& progress) {
  ReleaseDraft draft(repo_dir_, build_dir, info);
  const State s = load_state();
  draft.refuse_released_again(s.targets);
  draft.write_manifest();
  // The package is zipped on its own thread while the delta store is
  // written; a failure of either is undone with the rest.
  draft.start_package();
  const std::optional<tuf::TargetFile> delta_bundle = draft.write_delta_bundle(s.targets, progress);
  draft.finish_package();
  const PublishedRelease& out = draft.result();
  const ReleaseFacts facts{.app_id = info.app_id,
                           .version = info.version,
                           .channel = info.channel,
                           .platform = info.platform,
                           .notes = info.notes,
                           .critical = info.critical,
                           .rollout = info.rollout,
                           .desktop = info.desktop,
                           .manifest = out.manifest_target,
                           .released = tuf::format_time(clock_.unix_now()),
                           .delta = out.delta_target,
                           .modules = draft.module_versions()};
  tuf::TargetsMetadata targets = s.targets;
  draft.add_targets(targets, facts);
  if (delta_bundle) targets.targets[delta_bundle->path] = *delta_bundle;
  commit_targets(std::move(targets));
  draft.commit();
  return out;
}

}  // namespace upkeep::publish
