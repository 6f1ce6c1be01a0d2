#include "tuf/tuf_client.h"

#include <spdlog/spdlog.h>

#include <set>

#include "error.h"
#include "fs.h"
#include "manifest.h"

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

std::set<std::string> keyid_set(const RootMetadata& root, const char* role) {
  const auto& ids = root.role(role).keyids;
  return {ids.begin(), ids.end()};
}

std::string percent_encode_path(std::string_view path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                c == '_' || c == '~' || c == '/';
    if (keep) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

[[noreturn]] void older(const std::string& what, int64_t version, int64_t trusted) {
  fail(ErrorCode::kVerification,
       what + ": version " + std::to_string(version) + " is older than trusted version " + std::to_string(trusted));
}

}  // namespace

Client::Client(std::filesystem::path metadata_dir, std::string metadata_url, std::string targets_url, Fetcher& fetcher,
               std::function<std::time_t()> now, ClientLimits limits)
    : metadata_dir_(std::move(metadata_dir)),
      metadata_url_(std::move(metadata_url)),
      targets_url_(std::move(targets_url)),
      fetcher_(fetcher),
      now_(std::move(now)),
      limits_(limits) {}

void Client::refresh() {
  timestamp_.reset();
  snapshot_.reset();
  targets_.reset();
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

void Client::update_root() {
  const RootMetadata original = *root_;
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
      persist(kRootRole, *data);
      spdlog::info("trusted root metadata is now version {}", root.version);
      root_ = std::move(root);
    });
  }
  root_->check_not_expired(now_(), "root.json");
  // 5.3.11 fast-forward recovery: versions signed by replaced keys must not
  // block newer metadata signed by the new ones.
  if (keyid_set(original, kTimestampRole) != keyid_set(*root_, kTimestampRole) ||
      keyid_set(original, kSnapshotRole) != keyid_set(*root_, kSnapshotRole)) {
    std::error_code ec;
    std::filesystem::remove(metadata_dir_ / file_of(kTimestampRole), ec);
    std::filesystem::remove(metadata_dir_ / file_of(kSnapshotRole), ec);
  }
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
  ts.check_not_expired(now_(), what);
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
  std::string data = fetcher_.get(metadata_url_ + metadata_name(role, want.version), want.length.value_or(default_limit));
  out.meta = untrusted([&] {
    check_length_and_hashes(data, want.length, want.hashes, what);
    Envelope env = Envelope::parse(data, what);
    verify_threshold(env, root_->keys, root_->role(role), what);
    return Meta::parse(env.signed_json, what);
  });
  if (out.meta.version != want.version)
    fail(ErrorCode::kVerification, what + ": version " + std::to_string(out.meta.version) + ", expected version " +
                                       std::to_string(want.version) + " as listed by " + listed_by);
  if (out.trusted && out.meta.version < out.trusted->version) older(what, out.meta.version, out.trusted->version);
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
  snap.meta.check_not_expired(now_(), what);
  if (snap.fetched) persist(kSnapshotRole, *snap.fetched);
  snapshot_ = std::move(snap.meta);
}

void Client::update_targets() {
  const std::string what = file_of(kTargetsRole);
  auto targets = update_listed_role<TargetsMetadata>(kTargetsRole, snapshot_->meta.at("targets.json"),
                                                     limits_.targets_bytes, "snapshot.json");
  targets.meta.check_not_expired(now_(), what);
  if (targets.fetched) persist(kTargetsRole, *targets.fetched);
  targets_ = std::move(targets.meta);
}

std::vector<TargetFile> Client::targets() const {
  std::vector<TargetFile> out;
  if (!targets_) return out;
  for (const auto& [path, t] : targets_->targets) out.push_back(t);
  return out;
}

std::optional<TargetFile> Client::find_target(const std::string& path) const {
  if (!targets_) return std::nullopt;
  auto it = targets_->targets.find(path);
  if (it == targets_->targets.end()) return std::nullopt;
  return it->second;
}

std::string Client::target_url(const TargetFile& t) const {
  std::string why;
  if (!is_safe_relative_path(t.path, &why))
    fail(ErrorCode::kVerification, "targets.json: target path '" + t.path + "' " + why);
  if (!root_ || !root_->consistent_snapshot) return targets_url_ + percent_encode_path(t.path);
  const std::string sha = t.sha256();
  if (sha.empty()) fail(ErrorCode::kVerification, "targets.json: target '" + t.path + "' lists no sha256 hash");
  auto slash = t.path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : t.path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? t.path : t.path.substr(slash + 1);
  return targets_url_ + percent_encode_path(dir) + sha + "." + percent_encode_path(base);
}

}  // namespace upkeep::tuf
