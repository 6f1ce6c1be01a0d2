#include "upkeep/tuf/tuf_client.h"

#include <spdlog/spdlog.h>

#include <set>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/install/manifest.h"
#include "upkeep/platform/fs.h"
#include "upkeep/tuf/role_names.h"

namespace upkeep::tuf {

struct Client::Local {
  std::string bytes;
  Envelope envelope;
};

namespace {

// Data from the network (or an untrusted cache): a malformed file is a
// verification failure of that file, not a local input error.
template <class F>
auto untrusted(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kBadInput) fail(ErrorCode::kVerification, e.what());
    throw;
  }
}

std::string file_of(const char* role) { return std::string(role) + ".json"; }

// The keys `role` trusts, by what they are (not by id): a changed set is a
// key rotation of that role.
std::set<std::string> role_key_set(const RootMetadata& root, const char* role) {
  std::set<std::string> out;
  for (const auto& id : root.role(role).keyids) out.insert(root.keys.at(id)->to_json().dump_canonical());
  return out;
}

bool rotated(const RootMetadata& before, const RootMetadata& after, const char* role) {
  return role_key_set(before, role) != role_key_set(after, role);
}

[[noreturn]] void older(const std::string& what, int64_t version, int64_t trusted) {
  fail(ErrorCode::kVerification,
       what + ": version " + std::to_string(version) + " is older than trusted version " + std::to_string(trusted));
}

}  // namespace

Client::Client(std::filesystem::path metadata_dir, std::string metadata_url, std::string targets_url,
               net::Fetcher& fetcher, const Clock& clock, ClientLimits limits)
    : metadata_dir_(std::move(metadata_dir)),
      metadata_url_(std::move(metadata_url)),
      targets_url_(std::move(targets_url)),
      fetcher_(fetcher),
      clock_(clock),
      limits_(limits) {}

Client::~Client() = default;

void Client::refresh() {
  // 5.1: one fixed update start time for every expiry check of this update,
  // including delegated roles loaded later by target_info().
  start_time_ = clock_.unix_now();
  timestamp_.reset();
  snapshot_.reset();
  targets_.reset();
  delegated_.clear();
  load_trusted_root();
  update_root();
  try {
    update_timestamp();
    update_snapshot();
    update_targets();
  } catch (...) {
    targets_.reset();
    throw;
  }
}

std::string Client::metadata_name(const char* role, int64_t version) const {
  return root_->consistent_snapshot ? std::to_string(version) + "." + file_of(role) : file_of(role);
}

void Client::persist(const char* role, const std::string& data) const {
  fs::write_file_atomic(metadata_dir_ / file_of(role), data);
}

void Client::load_trusted_root() {
  const auto path = metadata_dir_ / "root.json";
  if (!std::filesystem::exists(path))
    fail(ErrorCode::kVerification, path.string() + ": no trusted root metadata (reinstall the application)");
  untrusted([&] {
    Envelope env = Envelope::parse(fs::read_file(path, limits_.root_bytes), path.string());
    RootMetadata root = RootMetadata::parse(env.signed_json, path.string());
    verify_threshold(env, root.keys, root.role(kRootRole), path.string());
    root_ = std::move(root);
  });
}

// 5.3.11 fast-forward attack recovery: versions an attacker pushed ahead
// with keys the repository has since replaced must not block the lower
// versions the new keys sign. A rotated timestamp or snapshot key drops the
// trusted timestamp and snapshot (as the spec says); a rotated targets key
// drops the trusted targets, which the new keys did not sign (python-tuf
// ignores it for that reason; the spec deletes nothing here). Targets
// versions pushed ahead are listed in the snapshot, so a snapshot key
// rotation is what recovers from them (the spec's and python-tuf's remedy).
void Client::drop_metadata_of_rotated_keys(const RootMetadata& before, const RootMetadata& after) const {
  std::vector<const char*> drop;
  if (rotated(before, after, kTimestampRole) || rotated(before, after, kSnapshotRole))
    drop = {kTimestampRole, kSnapshotRole};
  if (rotated(before, after, kTargetsRole)) drop.push_back(kTargetsRole);
  for (const char* role : drop) {
    std::error_code ec;
    if (std::filesystem::remove(metadata_dir_ / file_of(role), ec))
      spdlog::info("root version {} rotates keys: dropped the trusted {}", after.version, file_of(role));
    else if (ec)
      fail(ErrorCode::kFailure, (metadata_dir_ / file_of(role)).string() + ": cannot remove: " + ec.message());
  }
}

void Client::update_root() {
  for (int i = 0; i < limits_.max_root_rotations; ++i) {
    const int64_t next = root_->version + 1;
    const std::string name = std::to_string(next) + ".root.json";
    std::optional<std::string> data = fetcher_.get_if_exists(metadata_url_ + name, limits_.root_bytes);
    if (!data) break;
    untrusted([&] {
      Envelope env = Envelope::parse(*data, name);
      // 5.3.4: a threshold of the trusted root's keys, then of the new root's own keys.
      const RoleKeys& old_role = root_->role(kRootRole);
      size_t by_old = count_valid_signatures(env, root_->keys, old_role);
      if (by_old < static_cast<uint64_t>(old_role.threshold))
        fail(ErrorCode::kVerification,
             name + ": " + std::to_string(by_old) + " valid signatures by the keys of trusted root version " +
                 std::to_string(root_->version) + ", threshold is " + std::to_string(old_role.threshold));
      RootMetadata root = RootMetadata::parse(env.signed_json, name);
      const RoleKeys& new_role = root.role(kRootRole);
      size_t by_new = count_valid_signatures(env, root.keys, new_role);
      if (by_new < static_cast<uint64_t>(new_role.threshold))
        fail(ErrorCode::kVerification, name + ": " + std::to_string(by_new) +
                                           " valid signatures by its own root keys, threshold is " +
                                           std::to_string(new_role.threshold));
      if (root.version != next)
        fail(ErrorCode::kVerification,
             name + ": version is " + std::to_string(root.version) + ", expected " + std::to_string(next));
      // Before the new root is persisted, so a crash in between cannot keep them.
      drop_metadata_of_rotated_keys(*root_, root);
      persist(kRootRole, *data);
      spdlog::info("trusted root metadata is now version {}", root.version);
      root_ = std::move(root);
    });
  }
  root_->check_not_expired(start_time_, "root.json");
}

std::optional<Client::Local> Client::load_local(const char* role) const {
  const auto path = metadata_dir_ / file_of(role);
  if (!std::filesystem::exists(path)) return std::nullopt;
  try {
    Local local;
    uint64_t limit = role == std::string(kTimestampRole)  ? limits_.timestamp_bytes
                     : role == std::string(kSnapshotRole) ? limits_.snapshot_bytes
                                                          : limits_.targets_bytes;
    local.bytes = fs::read_file(path, limit);
    local.envelope = Envelope::parse(local.bytes, path.string());
    verify_threshold(local.envelope, root_->keys, root_->role(role), path.string());
    return local;
  } catch (const Error& e) {
    // A cache that no longer verifies (e.g. after a key rotation) is ignored.
    spdlog::warn("ignoring cached {}: {}", path.string(), e.what());
    return std::nullopt;
  }
}

void Client::update_timestamp() {
  const std::string what = file_of(kTimestampRole);
  std::optional<TimestampMetadata> trusted;
  if (auto local = load_local(kTimestampRole)) {
    try {
      trusted = TimestampMetadata::parse(local->envelope.signed_json, what);
    } catch (const Error& e) {
      spdlog::warn("ignoring cached {}: {}", what, e.what());
    }
  }
  std::string data = fetcher_.get(metadata_url_ + what, limits_.timestamp_bytes);
  TimestampMetadata ts = untrusted([&] {
    Envelope env = Envelope::parse(data, what);
    verify_threshold(env, root_->keys, root_->role(kTimestampRole), what);
    return TimestampMetadata::parse(env.signed_json, what);
  });
  bool keep_trusted = false;
  if (trusted) {
    if (ts.version < trusted->version) older(what, ts.version, trusted->version);
    if (ts.version == trusted->version) {
      keep_trusted = true;  // 5.4.3.1: an equal version keeps what we have
      ts = *trusted;
    } else if (ts.snapshot.version < trusted->snapshot.version) {
      fail(ErrorCode::kVerification, what + ": lists snapshot version " + std::to_string(ts.snapshot.version) +
                                         ", older than trusted snapshot version " +
                                         std::to_string(trusted->snapshot.version));
    }
  }
  ts.check_not_expired(start_time_, what);
  if (!keep_trusted) persist(kTimestampRole, data);
  timestamp_ = std::move(ts);
}

// A role listed with version (and maybe length and hashes) by the role
// above it: snapshot by timestamp (5.5), targets by snapshot (5.6).
template <class Meta>
Client::ListedRole<Meta> Client::update_listed_role(const char* role, const MetaFile& want, uint64_t default_limit,
                                                    const char* listed_by) {
  const std::string what = file_of(role);
  ListedRole<Meta> out;
  std::optional<Local> local = load_local(role);
  if (local) {
    try {
      out.trusted = Meta::parse(local->envelope.signed_json, what);
    } catch (const Error& e) {
      spdlog::warn("ignoring cached {}: {}", what, e.what());
      local.reset();
    }
  }
  // The cached file is reusable when it is exactly what the role above lists.
  if (out.trusted && out.trusted->version == want.version) {
    bool matches = true;
    try {
      check_length_and_hashes(local->bytes, want.length, want.hashes, what);
    } catch (const Error&) {
      matches = false;
    }
    if (matches) {
      out.meta = *out.trusted;
      return out;
    }
  }
  std::string data =
      fetcher_.get(metadata_url_ + metadata_name(role, want.version), want.length.value_or(default_limit));
  out.meta = untrusted([&] {
    check_length_and_hashes(data, want.length, want.hashes, what);
    Envelope env = Envelope::parse(data, what);
    verify_threshold(env, root_->keys, root_->role(role), what);
    return Meta::parse(env.signed_json, what);
  });
  if (out.meta.version != want.version)
    fail(ErrorCode::kVerification, what + ": version " + std::to_string(out.meta.version) + ", expected version " +
                                       std::to_string(want.version) + " as listed by " + listed_by);
  // Snapshot: never older than the trusted one. Targets are checked against
  // the snapshot's listing only (5.6.4), as in the spec and python-tuf: the
  // rollback check for them is the snapshot's (5.5.5), which a snapshot key
  // rotation resets (5.3.11).
  if (out.trusted && role == std::string(kSnapshotRole) && out.meta.version < out.trusted->version)
    older(what, out.meta.version, out.trusted->version);
  out.fetched = std::move(data);
  return out;
}

void Client::update_snapshot() {
  const std::string what = file_of(kSnapshotRole);
  auto snap = update_listed_role<SnapshotMetadata>(kSnapshotRole, timestamp_->snapshot, limits_.snapshot_bytes,
                                                   "timestamp.json");
  if (snap.fetched && snap.trusted) {
    // 5.5.5: no targets role may disappear or go back in version.
    for (const auto& [name, old_meta] : snap.trusted->meta) {
      auto it = snap.meta.meta.find(name);
      if (it == snap.meta.meta.end())
        fail(ErrorCode::kVerification, what + ": " + name + " is no longer listed (trusted version " +
                                           std::to_string(snap.trusted->version) + " lists it)");
      if (it->second.version < old_meta.version)
        fail(ErrorCode::kVerification, what + ": lists " + name + " version " + std::to_string(it->second.version) +
                                           ", older than trusted version " + std::to_string(old_meta.version));
    }
  }
  snap.meta.check_not_expired(start_time_, what);
  if (snap.fetched) persist(kSnapshotRole, *snap.fetched);
  snapshot_ = std::move(snap.meta);
}

void Client::update_targets() {
  const std::string what = file_of(kTargetsRole);
  auto targets = update_listed_role<TargetsMetadata>(kTargetsRole, snapshot_->meta.at("targets.json"),
                                                     limits_.targets_bytes, "snapshot.json");
  targets.meta.check_not_expired(start_time_, what);
  if (targets.fetched) persist(kTargetsRole, *targets.fetched);
  targets_ = std::move(targets.meta);
}

std::vector<TargetFile> Client::targets() const {
  std::vector<TargetFile> out;
  if (!targets_) return out;
  for (const auto& [path, t] : targets_->targets) out.push_back(t);
  return out;
}

// 5.6.7: pre-order depth-first search, as python-tuf's updater does it: a
// stack of roles to visit; a role's matching delegations are pushed in
// reverse so the first listed is searched first (with all its descendants);
// a terminating delegation empties the stack, so nothing outside its
// subtree is consulted afterwards.
std::optional<TargetFile> Client::target_info(const std::string& path) {
  if (!targets_) return std::nullopt;
  if (auto it = targets_->targets.find(path); it != targets_->targets.end()) return it->second;

  struct Visit {
    std::string role;
    const KeyMap* keys;         // the delegator's delegation keys (stable: see delegated_)
    const RoleKeys* role_keys;  // the delegation's key ids and threshold
    std::string delegator;
  };
  std::vector<Visit> stack;
  auto push_children = [&](const TargetsMetadata& m, const std::string& delegator) {
    if (!m.delegations) return;
    auto matches = m.delegations->roles_for_target(path);
    if (!matches.empty() && matches.back().terminating) stack.clear();
    for (auto it = matches.rbegin(); it != matches.rend(); ++it)
      stack.push_back({it->role, &m.delegations->keys, it->keys, delegator});
  };
  push_children(*targets_, kTargetsRole);

  std::set<std::string> visited{kTargetsRole};
  int delegated_visits = 0;
  while (!stack.empty()) {
    Visit v = std::move(stack.back());
    stack.pop_back();
    if (visited.count(v.role)) continue;  // a cycle, or a role reached twice
    if (delegated_visits >= limits_.max_delegations) {
      spdlog::warn("target '{}': stopped after visiting {} delegated roles (the limit); {} left unvisited", path,
                   delegated_visits, stack.size() + 1);
      return std::nullopt;
    }
    const TargetsMetadata& m = load_delegated(v.role, *v.keys, *v.role_keys, v.delegator);
    ++delegated_visits;
    visited.insert(v.role);
    if (auto it = m.targets.find(path); it != m.targets.end()) {
      spdlog::debug("target '{}' found in delegated role '{}'", path, v.role);
      return it->second;
    }
    push_children(m, v.role);
  }
  return std::nullopt;
}

// A delegated targets role: listed in snapshot.json as NAME.json, signed by
// a threshold of the delegation's keys, the listed version, not expired.
// The local copy (under a safe file name) is used when it is exactly what
// snapshot.json lists; otherwise the file is fetched and persisted once verified.
const TargetsMetadata& Client::load_delegated(const std::string& role, const KeyMap& keys, const RoleKeys& role_keys,
                                              const std::string& delegator) {
  const std::string what = role + ".json";
  if (auto it = delegated_.find(role); it != delegated_.end()) {
    // Reached again through another delegator: its keys must vouch for it too.
    verify_threshold(it->second.envelope, keys, role_keys, what + " (delegated by " + delegator + ")");
    return it->second.meta;
  }
  auto listed = snapshot_->meta.find(what);
  if (listed == snapshot_->meta.end())
    fail(ErrorCode::kVerification,
         "snapshot.json: does not list '" + what + "', the delegated role of " + delegator + ".json");
  const MetaFile& want = listed->second;
  const uint64_t limit = want.length.value_or(limits_.targets_bytes);
  const auto local_path = metadata_dir_ / role_file_name(role);  // throws for a name that cannot be stored
  auto verify = [&](const std::string& data) {
    return untrusted([&] {
      check_length_and_hashes(data, want.length, want.hashes, what);
      DelegatedTargets d;
      d.envelope = Envelope::parse(data, what);
      verify_threshold(d.envelope, keys, role_keys, what);
      d.meta = TargetsMetadata::parse(d.envelope.signed_json, what);
      if (d.meta.version != want.version)
        fail(ErrorCode::kVerification, what + ": version " + std::to_string(d.meta.version) + ", expected version " +
                                           std::to_string(want.version) + " as listed by snapshot.json");
      d.meta.check_not_expired(start_time_, what);
      return d;
    });
  };

  std::optional<DelegatedTargets> loaded;
  if (std::filesystem::exists(local_path)) {
    try {
      loaded = verify(fs::read_file(local_path, limit));
    } catch (const Error& e) {
      spdlog::debug("not using cached {}: {}", local_path.string(), e.what());
    }
  }
  if (!loaded) {
    const std::string version = root_->consistent_snapshot ? std::to_string(want.version) + "." : "";
    std::string data = fetcher_.get(metadata_url_ + version + role_url_name(role) + ".json", limit);
    loaded = verify(data);
    fs::write_file_atomic(local_path, data);
  }
  return delegated_.emplace(role, std::move(*loaded)).first->second.meta;
}

std::string Client::target_url(const TargetFile& t) const {
  std::string why;
  if (!is_safe_relative_path(t.path, &why))
    fail(ErrorCode::kVerification, "targets.json: target path '" + t.path + "' " + why);
  if (!root_ || !root_->consistent_snapshot) return targets_url_ + percent_encode(t.path, "/");
  // HASH.NAME with one of the listed hashes: sha256 when listed, else a supported one.
  std::string sha = t.sha256();
  for (const auto& [name, hex] : t.hashes) {
    HashAlgorithm alg;
    if (sha.empty() && parse_hash_algorithm(name, alg)) sha = hex;
  }
  if (sha.empty())
    fail(ErrorCode::kVerification, "targets metadata: target '" + t.path + "' lists no sha256 or sha512 hash");
  auto slash = t.path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : t.path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? t.path : t.path.substr(slash + 1);
  return targets_url_ + percent_encode(dir, "/") + sha + "." + percent_encode(base);
}

}  // namespace upkeep::tuf
