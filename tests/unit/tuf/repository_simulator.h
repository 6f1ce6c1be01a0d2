// RepositorySimulator: a TUF repository held in memory as C++ objects, for
// attack and conformance tests of tuf::Client.
//
// The four top-level roles (and optionally delegated targets roles) are
// plain tuf::*Metadata values a test may change freely: versions, expiry,
// keys, thresholds, targets, lengths, hashes. Each publish_*() call signs one
// role with `signers[role]` (which may be wrong keys, too few or none),
// runs the role's hooks (to tamper with the envelope or append junk bytes)
// and writes the spec's file names into dir()/metadata (N.root.json,
// timestamp.json, N.snapshot.json, N.targets.json) and target contents into
// dir()/targets (HASH.NAME with consistent snapshots). A RepoServer serves
// dir() on 127.0.0.1; a HostileServer can stand in front of it to stall or
// stream endless data for chosen paths; mirror() freezes a copy on its own
// server. The client side is a trust folder seeded with version 1 of root.
//
// publish() is the consistent path: it re-signs targets (and delegated
// roles), lists them in the snapshot with describe(), and the snapshot in
// the timestamp. The other publish_*() calls sign exactly what the models
// say. publish_new_versions() bumps only the top-level versions: a test that
// changes a delegated role bumps its version itself (published files are
// immutable under consistent snapshots).
//
// Test code; one thread (the test's). After construction: version 1 of every
// role is published and served, and trust_dir() holds 1.root.json as root.json.
#pragma once

#include <Poco/Net/ServerSocket.h>

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"
#include "upkeep/base/error.h"
#include "upkeep/net/http_fetcher.h"
#include "upkeep/net/repo_server.h"
#include "upkeep/platform/clock.h"
#include "upkeep/tuf/metadata.h"
#include "upkeep/tuf/tuf_client.h"

namespace upkeep::test {

// A raw HTTP/1.1 server on 127.0.0.1 that misbehaves for chosen paths and
// answers every other request with a 302 redirect to `fallback_base_url`
// (so it can front a RepoServer). Misbehaving connections are bounded: they
// end when the client disconnects, after 1 GiB, or when the server is
// destroyed. Construct and destroy on one thread; set() from the same thread.
class HostileServer {
 public:
  enum class Behaviour {
    kEndless,           // 200 without Content-Length, then spaces without end
    kStallBeforeReply,  // accepts and reads the request, then never answers
    kStallMidBody,      // headers without Content-Length and 10 bytes, then nothing
  };
  explicit HostileServer(std::string fallback_base_url);
  ~HostileServer();
  HostileServer(const HostileServer&) = delete;
  HostileServer& operator=(const HostileServer&) = delete;

  // `path` as requested, e.g. "/metadata/timestamp.json".
  void set(const std::string& path, Behaviour b);
  void clear();
  std::string base_url() const;
  // Body bytes sent by kEndless connections so far.
  uint64_t endless_bytes_sent() const { return endless_sent_; }

 private:
  void accept_loop();
  void serve(Poco::Net::StreamSocket socket);
  void wait_for_stop();

  std::string fallback_;
  Poco::Net::ServerSocket socket_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::map<std::string, Behaviour> behaviours_;
  std::atomic<uint64_t> endless_sent_{0};
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

class RepositorySimulator {
 public:
  using KeyPtr = std::shared_ptr<const tuf::PrivateKey>;
  static constexpr std::time_t kDay = 24 * 3600;

  // Every key the simulator generates is of `key_type`.
  explicit RepositorySimulator(std::time_t now = std::time(nullptr), tuf::KeyType key_type = tuf::KeyType::kEd25519);
  ~RepositorySimulator();
  RepositorySimulator(const RepositorySimulator&) = delete;
  RepositorySimulator& operator=(const RepositorySimulator&) = delete;

  // ---- the repository, as objects a test edits ----
  tuf::RootMetadata root;
  tuf::TimestampMetadata timestamp;
  tuf::SnapshotMetadata snapshot;
  tuf::TargetsMetadata targets;
  std::map<std::string, tuf::TargetsMetadata> delegated;  // role name -> metadata
  std::map<std::string, std::vector<KeyPtr>> signers;     // role name -> keys that sign it

  // How describe() lists a metadata file: these algorithms ("sha256",
  // "sha512", or unknown names, which get a sha256-looking value) and the
  // length when meta_lengths is true. Targets get target_hash_algorithms.
  std::set<std::string> meta_hash_algorithms{"sha256"};
  bool meta_lengths = true;
  std::set<std::string> target_hash_algorithms{"sha256"};

  // Per role: runs after signing (add, drop or duplicate signatures, edit
  // "signed" so signatures break), then on the file bytes (append junk).
  std::map<std::string, std::function<void(tuf::Envelope&)>> envelope_hooks;
  std::map<std::string, std::function<void(std::string&)>> byte_hooks;

  // The client's clock; tests move it (a frozen repository, expiry).
  FixedClock clock;

  // ---- keys ----
  // The key id each key is listed and signs under, when it is not the key's
  // own SHA-256 id (key_id()): key ids are identifiers a repository chooses.
  std::map<const tuf::PrivateKey*, std::string> key_ids;
  std::string id_of(const tuf::PrivateKey& key) const;
  // A fresh key (of the simulator's key type unless given) added to root.keys, the role's key ids
  // (top-level roles) and signers[role], under `keyid` when given (recorded in key_ids).
  KeyPtr add_key(const std::string& role, KeyPtr key = nullptr, const std::string& keyid = "");
  // Removes `keyid` from the role and from signers (and from root.keys when no role uses it).
  void revoke_key(const std::string& role, const std::string& keyid);
  // Before any update: re-lists every key under the id `id_for` gives it,
  // publishes version 1 of every role again (root's signed JSON passed
  // through `edit_root` before signing) and makes that root the trusted one.
  void rename_keys(const std::function<std::string(const tuf::PrivateKey&)>& id_for,
                   const std::function<void(Json&)>& edit_root = nullptr);
  // Revokes every key of a top-level role and adds `count` fresh ones;
  // returns the old signers (to co-sign a root rotation).
  std::vector<KeyPtr> replace_keys(const std::string& role, int count = 1);

  // ---- signing and publishing ----
  // Signs with signers[role] plus `also`, then runs envelope_hooks[role].
  tuf::Envelope sign(const std::string& role, const Json& signed_json, const std::vector<KeyPtr>& also = {}) const;
  // Signs root with signers["root"] plus `also` (a rotation needs the old
  // keys) and writes N.root.json. Returns the bytes.
  std::string publish_root(const std::vector<KeyPtr>& also = {});
  std::string publish_targets();
  std::string publish_delegated(const std::string& role);
  std::string publish_snapshot();
  std::string publish_timestamp();
  // Targets and delegated roles, then snapshot (listing them), then timestamp.
  void publish();
  // Bumps targets, snapshot and timestamp versions and publish()es.
  void publish_new_versions();
  // Adds a delegated role to `delegator` ("targets" or a delegated role)
  // with one fresh key (listed under `keyid` when given), threshold 1, and an empty metadata object.
  KeyPtr delegate(const std::string& delegator, const std::string& name, const std::vector<std::string>& paths,
                  bool terminating = false, const std::string& keyid = "");

  tuf::MetaFile describe(int64_t version, const std::string& bytes) const;
  // Lists `content` at `path` in `role` (targets or a delegated role) and
  // writes the target file(s). Does not publish metadata.
  tuf::TargetFile add_target(const std::string& path, const std::string& content, Json custom = Json::object(),
                             const std::string& role = tuf::kTargetsRole);
  // Writes target bytes under the names the client will request for `t`.
  void write_target_file(const tuf::TargetFile& t, const std::string& content) const;

  // ---- files and servers ----
  const std::filesystem::path& dir() const { return repo_; }
  std::filesystem::path meta_path(const std::string& name) const { return repo_ / "metadata" / name; }
  std::string read_meta(const std::string& name) const;
  void write_meta(const std::string& name, const std::string& bytes) const;
  // Bytes of root version N as published.
  const std::string& root_bytes(int64_t version) const { return roots_.at(version); }

  std::string base_url() const;  // "http://127.0.0.1:PORT/"
  // A frozen copy of the repository as it is now, on its own server.
  struct Mirror {
    std::string url;  // "http://127.0.0.1:PORT/"
    std::filesystem::path dir;
  };
  Mirror mirror();
  HostileServer& hostile();  // created on first use, fronting base_url()

  // ---- the client side ----
  const std::filesystem::path& trust_dir() const { return trust_; }
  // Every file in the trust folder: name -> bytes.
  std::map<std::string, std::string> trusted_files() const;
  std::unique_ptr<tuf::Client> client(tuf::ClientLimits limits = {});
  // A client of the repository at `base` (a mirror, the hostile server).
  std::unique_ptr<tuf::Client> client_at(const std::string& base, net::Fetcher* fetcher = nullptr,
                                         tuf::ClientLimits limits = {});
  net::HttpFetcher fetcher;

  // ---- checks shared by the attack tests (Catch assertions) ----
  // client.refresh() must throw Error(code); afterwards the trust folder
  // equals `expected_after` (default: what it held before) and the client
  // lists no targets. Returns the message.
  std::string refresh_refused(tuf::Client& client, ErrorCode code,
                              std::optional<std::map<std::string, std::string>> expected_after = std::nullopt);
  // client.refresh() succeeds and reaches the published versions and targets:
  // an earlier failure did not leave the client unable to update.
  void refresh_reaches_published(tuf::Client& client);
  // The trust folder as it is, with each {name, published_name} pair's file
  // replaced by the repository's metadata/published_name.
  std::map<std::string, std::string> trusted_files_with(
      std::initializer_list<std::pair<std::string, std::string>> replaced) const;

 private:
  std::string write_role_file(const std::string& role, const std::string& file_name, const Json& signed_json,
                              const std::vector<KeyPtr>& also = {});
  std::string metadata_file_name(const std::string& role, int64_t version) const;

  tuf::KeyType key_type_;
  TempDir tmp_;
  std::filesystem::path repo_;
  std::filesystem::path trust_;
  std::map<int64_t, std::string> roots_;
  std::unique_ptr<net::RepoServer> server_;
  std::vector<std::unique_ptr<net::RepoServer>> mirrors_;
  std::unique_ptr<HostileServer> hostile_;
};

}  // namespace upkeep::test
