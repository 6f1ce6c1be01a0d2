#include "repository_simulator.h"

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <sys/socket.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>

#include "expect_error.h"
#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"

namespace upkeep::test {

namespace stdfs = std::filesystem;

// ---------------------------------------------------------------- HostileServer

HostileServer::HostileServer(std::string fallback_base_url)
    : fallback_(std::move(fallback_base_url)), socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
  acceptor_ = std::thread([this] { accept_loop(); });
}

HostileServer::~HostileServer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  acceptor_.join();
  // No new workers after the acceptor ended.
  for (auto& w : workers_) w.join();
}

void HostileServer::set(const std::string& path, Behaviour b) {
  std::lock_guard lock(mu_);
  behaviours_[path] = b;
}

void HostileServer::clear() {
  std::lock_guard lock(mu_);
  behaviours_.clear();
}

std::string HostileServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + "/";
}

void HostileServer::accept_loop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    // Poll so that destruction is noticed; accept never blocks.
    if (!socket_.poll(Poco::Timespan(0, 50 * 1000), Poco::Net::Socket::SELECT_READ)) continue;
    try {
      Poco::Net::StreamSocket s = socket_.acceptConnection();
      std::lock_guard lock(mu_);
      workers_.emplace_back([this, s]() mutable { serve(s); });
    } catch (const Poco::Exception&) {
    }
  }
}

void HostileServer::wait_for_stop() {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::seconds(60), [this] { return stop_; });
}

void HostileServer::serve(Poco::Net::StreamSocket s) {
  try {
    s.setReceiveTimeout(Poco::Timespan(5, 0));
    s.setSendTimeout(Poco::Timespan(2, 0));
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 16384) {
      int n = s.receiveBytes(buf, sizeof buf);
      if (n <= 0) return;
      request.append(buf, static_cast<size_t>(n));
    }
    // "GET /path HTTP/1.1"
    const auto sp1 = request.find(' ');
    const auto sp2 = request.find(' ', sp1 + 1);
    if (sp1 == std::string::npos || sp2 == std::string::npos) return;
    const std::string path = request.substr(sp1 + 1, sp2 - sp1 - 1);
    std::optional<Behaviour> behaviour;
    {
      std::lock_guard lock(mu_);
      if (auto it = behaviours_.find(path); it != behaviours_.end()) behaviour = it->second;
    }
    auto send_all = [&](const std::string& data) {
      size_t done = 0;
      while (done < data.size()) {
        int n = s.sendBytes(data.data() + done, static_cast<int>(data.size() - done), MSG_NOSIGNAL);
        if (n <= 0) throw Poco::IOException("send failed");
        done += static_cast<size_t>(n);
      }
    };
    if (!behaviour) {
      send_all("HTTP/1.1 302 Found\r\nLocation: " + fallback_ + path.substr(path.empty() ? 0 : 1) +
               "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    switch (*behaviour) {
      case Behaviour::kEndless: {
        send_all("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n");
        const std::string chunk(64 * 1024, ' ');
        for (uint64_t sent = 0; sent < (uint64_t{1} << 30); sent += chunk.size()) {
          {
            std::lock_guard lock(mu_);
            if (stop_) return;
          }
          send_all(chunk);
          endless_sent_ += chunk.size();
        }
        return;
      }
      case Behaviour::kStallBeforeReply:
        wait_for_stop();
        return;
      case Behaviour::kStallMidBody:
        send_all("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"signed\":");
        wait_for_stop();
        return;
    }
  } catch (const Poco::Exception&) {
    // The client went away: that is how endless and stalled replies end.
  }
}

// ---------------------------------------------------------------- RepositorySimulator

namespace {

bool is_top_level(const std::string& role) {
  return role == tuf::kRootRole || role == tuf::kTimestampRole || role == tuf::kSnapshotRole ||
         role == tuf::kTargetsRole;
}

std::shared_ptr<const tuf::PublicKey> public_of(const tuf::PrivateKey& k) {
  return tuf::PublicKey::from_json(k.public_key().to_json());
}

}  // namespace

RepositorySimulator::RepositorySimulator(std::time_t now, tuf::KeyType key_type)
    : clock(FixedClock::at_unix(now)), key_type_(key_type), repo_(tmp_ / "repo"), trust_(tmp_ / "trust") {
  stdfs::create_directories(repo_ / "metadata");
  stdfs::create_directories(repo_ / "targets");
  stdfs::create_directories(trust_);
  root.expires = now + 365 * kDay;
  root.consistent_snapshot = true;
  for (const char* role : {tuf::kRootRole, tuf::kTimestampRole, tuf::kSnapshotRole, tuf::kTargetsRole}) {
    root.roles[role].threshold = 1;
    add_key(role);
  }
  targets.expires = now + 90 * kDay;
  snapshot.expires = now + 7 * kDay;
  timestamp.expires = now + kDay;
  publish_root();
  publish();
  write_text(trust_ / "root.json", roots_.at(1));
  server_ = std::make_unique<net::RepoServer>(repo_);
  server_->start();
}

RepositorySimulator::~RepositorySimulator() {
  hostile_.reset();
  for (auto& m : mirrors_) m->stop();
  server_->stop();
}

std::string RepositorySimulator::id_of(const tuf::PrivateKey& key) const {
  auto it = key_ids.find(&key);
  return it == key_ids.end() ? key.key_id() : it->second;
}

RepositorySimulator::KeyPtr RepositorySimulator::add_key(const std::string& role, KeyPtr key,
                                                         const std::string& keyid) {
  if (!key) key = tuf::PrivateKey::generate(key_type_);
  if (!keyid.empty()) key_ids[key.get()] = keyid;
  const std::string id = id_of(*key);
  if (is_top_level(role)) {
    root.keys[id] = public_of(*key);
    auto& ids = root.roles[role].keyids;
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  signers[role].push_back(key);
  return key;
}

void RepositorySimulator::revoke_key(const std::string& role, const std::string& keyid) {
  auto& s = signers[role];
  s.erase(std::remove_if(s.begin(), s.end(), [&](const KeyPtr& k) { return id_of(*k) == keyid; }), s.end());
  if (!is_top_level(role)) return;
  auto& ids = root.roles[role].keyids;
  ids.erase(std::remove(ids.begin(), ids.end(), keyid), ids.end());
  bool used = false;
  for (const auto& [name, r] : root.roles)
    used = used || std::find(r.keyids.begin(), r.keyids.end(), keyid) != r.keyids.end();
  if (!used) root.keys.erase(keyid);
}

void RepositorySimulator::rename_keys(const std::function<std::string(const tuf::PrivateKey&)>& id_for,
                                      const std::function<void(Json&)>& edit_root) {
  std::map<std::string, std::string> renamed;  // old id -> new id
  for (auto& [role, keys] : signers)
    for (auto& k : keys) {
      renamed[id_of(*k)] = id_for(*k);
      key_ids[k.get()] = id_for(*k);
    }
  auto new_id = [&](const std::string& id) { return renamed.count(id) ? renamed.at(id) : id; };
  tuf::KeyMap keys;
  for (auto& [id, key] : root.keys) keys[new_id(id)] = key;
  root.keys = keys;
  for (auto& [name, role] : root.roles)
    for (auto& id : role.keyids) id = new_id(id);
  Json signed_root = root.to_json();
  if (edit_root) edit_root(signed_root);
  const std::string bytes = sign(tuf::kRootRole, signed_root).to_text();
  write_meta("1.root.json", bytes);
  roots_[1] = bytes;
  write_text(trust_ / "root.json", bytes);
  publish();
}

std::vector<RepositorySimulator::KeyPtr> RepositorySimulator::replace_keys(const std::string& role, int count) {
  std::vector<KeyPtr> old = signers[role];
  for (const std::string& id : std::vector<std::string>(root.roles[role].keyids)) revoke_key(role, id);
  for (int i = 0; i < count; ++i) add_key(role);
  return old;
}

tuf::Envelope RepositorySimulator::sign(const std::string& role, const Json& signed_json,
                                        const std::vector<KeyPtr>& also) const {
  tuf::Envelope env;
  env.signed_json = signed_json;
  std::vector<KeyPtr> keys = also;
  if (auto it = signers.find(role); it != signers.end())
    keys.insert(keys.begin(), it->second.begin(), it->second.end());
  for (const auto& k : keys) env.sign(*k, id_of(*k));  // a repeated key replaces its own signature
  if (auto it = envelope_hooks.find(role); it != envelope_hooks.end() && it->second) it->second(env);
  return env;
}

std::string RepositorySimulator::write_role_file(const std::string& role, const std::string& file_name,
                                                 const Json& signed_json, const std::vector<KeyPtr>& also) {
  std::string bytes = sign(role, signed_json, also).to_text();
  if (auto it = byte_hooks.find(role); it != byte_hooks.end() && it->second) it->second(bytes);
  write_meta(file_name, bytes);
  return bytes;
}

std::string RepositorySimulator::metadata_file_name(const std::string& role, int64_t version) const {
  return root.consistent_snapshot ? std::to_string(version) + "." + role + ".json" : role + ".json";
}

std::string RepositorySimulator::publish_root(const std::vector<KeyPtr>& also) {
  std::string bytes =
      write_role_file(tuf::kRootRole, std::to_string(root.version) + ".root.json", root.to_json(), also);
  roots_[root.version] = bytes;
  return bytes;
}

std::string RepositorySimulator::publish_targets() {
  return write_role_file(tuf::kTargetsRole, metadata_file_name(tuf::kTargetsRole, targets.version), targets.to_json());
}

std::string RepositorySimulator::publish_delegated(const std::string& role) {
  const auto& meta = delegated.at(role);
  return write_role_file(role, metadata_file_name(role, meta.version), meta.to_json());
}

std::string RepositorySimulator::publish_snapshot() {
  return write_role_file(tuf::kSnapshotRole, metadata_file_name(tuf::kSnapshotRole, snapshot.version),
                         snapshot.to_json());
}

std::string RepositorySimulator::publish_timestamp() {
  return write_role_file(tuf::kTimestampRole, "timestamp.json", timestamp.to_json());
}

void RepositorySimulator::publish() {
  snapshot.meta["targets.json"] = describe(targets.version, publish_targets());
  for (const auto& [name, meta] : delegated)
    snapshot.meta[name + ".json"] = describe(meta.version, publish_delegated(name));
  timestamp.snapshot = describe(snapshot.version, publish_snapshot());
  publish_timestamp();
}

void RepositorySimulator::publish_new_versions() {
  ++targets.version;
  ++snapshot.version;
  ++timestamp.version;
  publish();
}

RepositorySimulator::KeyPtr RepositorySimulator::delegate(const std::string& delegator, const std::string& name,
                                                          const std::vector<std::string>& paths, bool terminating,
                                                          const std::string& keyid) {
  tuf::TargetsMetadata& parent = delegator == tuf::kTargetsRole ? targets : delegated.at(delegator);
  KeyPtr key = add_key(name, nullptr, keyid);
  if (!parent.delegations) parent.delegations.emplace();
  parent.delegations->keys[id_of(*key)] = public_of(*key);
  tuf::DelegatedRole role;
  role.name = name;
  role.keys.keyids = {id_of(*key)};
  role.keys.threshold = 1;
  role.terminating = terminating;
  role.paths = paths;
  parent.delegations->roles.push_back(role);
  tuf::TargetsMetadata meta;
  meta.expires = targets.expires;
  delegated[name] = meta;
  return key;
}

tuf::MetaFile RepositorySimulator::describe(int64_t version, const std::string& bytes) const {
  tuf::MetaFile m;
  m.version = version;
  if (meta_lengths) m.length = bytes.size();
  for (const auto& alg : meta_hash_algorithms) {
    HashAlgorithm a;
    m.hashes[alg] = parse_hash_algorithm(alg, a) ? hash_hex(a, bytes) : sha256_hex(bytes);
  }
  return m;
}

tuf::TargetFile RepositorySimulator::add_target(const std::string& path, const std::string& content, Json custom,
                                                const std::string& role) {
  tuf::TargetFile t;
  t.path = path;
  t.length = content.size();
  for (const auto& alg : target_hash_algorithms) {
    HashAlgorithm a;
    t.hashes[alg] = parse_hash_algorithm(alg, a) ? hash_hex(a, content) : sha256_hex(content);
  }
  t.custom = std::move(custom);
  (role == tuf::kTargetsRole ? targets : delegated.at(role)).targets[path] = t;
  write_target_file(t, content);
  return t;
}

void RepositorySimulator::write_target_file(const tuf::TargetFile& t, const std::string& content) const {
  const stdfs::path rel(t.path);
  if (!root.consistent_snapshot) {
    write_text(repo_ / "targets" / rel, content);
    return;
  }
  for (const auto& [alg, hex] : t.hashes) {
    HashAlgorithm a;
    if (!parse_hash_algorithm(alg, a)) continue;
    write_text(repo_ / "targets" / rel.parent_path() / (hex + "." + rel.filename().string()), content);
  }
}

std::string RepositorySimulator::read_meta(const std::string& name) const { return read_text(meta_path(name)); }

void RepositorySimulator::write_meta(const std::string& name, const std::string& bytes) const {
  write_text(meta_path(name), bytes);
}

std::string RepositorySimulator::base_url() const {
  return "http://127.0.0.1:" + std::to_string(server_->port()) + "/";
}

RepositorySimulator::Mirror RepositorySimulator::mirror() {
  const stdfs::path copy = tmp_ / ("mirror" + std::to_string(mirrors_.size() + 1));
  stdfs::copy(repo_, copy, stdfs::copy_options::recursive);
  mirrors_.push_back(std::make_unique<net::RepoServer>(copy));
  mirrors_.back()->start();
  return {"http://127.0.0.1:" + std::to_string(mirrors_.back()->port()) + "/", copy};
}

HostileServer& RepositorySimulator::hostile() {
  if (!hostile_) hostile_ = std::make_unique<HostileServer>(base_url());
  return *hostile_;
}

std::map<std::string, std::string> RepositorySimulator::trusted_files() const {
  std::map<std::string, std::string> out;
  for (const auto& e : stdfs::directory_iterator(trust_))
    if (e.is_regular_file()) out[e.path().filename().string()] = read_text(e.path());
  return out;
}

std::unique_ptr<tuf::Client> RepositorySimulator::client(tuf::ClientLimits limits) {
  return client_at(base_url(), nullptr, limits);
}

std::unique_ptr<tuf::Client> RepositorySimulator::client_at(const std::string& base, net::Fetcher* f,
                                                            tuf::ClientLimits limits) {
  return std::make_unique<tuf::Client>(trust_, base + "metadata/", base + "targets/", f ? *f : fetcher, clock, limits);
}

std::string RepositorySimulator::refresh_refused(tuf::Client& client, ErrorCode code,
                                                 std::optional<std::map<std::string, std::string>> expected_after) {
  const auto before = trusted_files();
  auto [got, message] = error_of([&] { client.refresh(); });
  INFO(message);
  CHECK(static_cast<int>(got) == static_cast<int>(code));
  CHECK(trusted_files() == expected_after.value_or(before));
  CHECK(client.targets().empty());
  return message;
}

void RepositorySimulator::refresh_reaches_published(tuf::Client& client) {
  client.refresh();
  CHECK(client.root()->version == root.version);
  CHECK(client.timestamp_version() == timestamp.version);
  CHECK(client.snapshot_version() == snapshot.version);
  CHECK(client.targets_version() == targets.version);
  std::vector<std::string> listed, published;
  for (const auto& t : client.targets()) listed.push_back(t.path);
  for (const auto& [path, t] : targets.targets) published.push_back(path);
  CHECK(listed == published);
  CHECK(read_text(trust_ / "timestamp.json") == read_meta("timestamp.json"));
}

std::map<std::string, std::string> RepositorySimulator::trusted_files_with(
    std::initializer_list<std::pair<std::string, std::string>> replaced) const {
  auto files = trusted_files();
  for (const auto& [name, published_name] : replaced) files[name] = read_meta(published_name);
  return files;
}

}  // namespace upkeep::test
