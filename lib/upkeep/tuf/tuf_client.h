// tuf::Client: the TUF 1.0.x client workflow (specification section 5): it
// updates the trusted root through every newer version, then timestamp,
// snapshot and targets, and answers which targets exist (searching
// delegated targets roles) and where to download them.
//
// Usage (the stager):
//   tuf::Client client(root / "trust", RepositoryLayout::metadata_url(repo_url),
//                      RepositoryLayout::targets_url(repo_url), fetcher);  // repository/repository_layout.h
//   client.refresh();                                   // throws on any failure
//   auto t = client.target_info("app/1.2.0/linux-x86_64/package.zip");
//   fetcher.download(client.target_url(*t), dest, t->length, t->sha256(), progress);
//
// metadata_dir must hold the trusted root.json (installed with the app). The
// client keeps its cache there under the plain names root.json,
// timestamp.json, snapshot.json, targets.json and, for delegated roles,
// role_file_name(ROLE) (tuf/role_names.h: "ROLE.json" with unsafe bytes
// percent-encoded); each is replaced atomically and only after it verified.
// Every download is size-limited. refresh() reads the clock once: every
// expiry check of that update, delegated roles included, uses that time.
// Fast-forward recovery (5.3.11): each new root that changes the timestamp
// or snapshot keys removes the cached timestamp.json and snapshot.json, one
// that changes the targets keys removes targets.json, before it is persisted.
//
// After refresh() succeeds: targets() lists the verified, unexpired
// top-level targets. After it fails: it threw Error(kVerification) naming
// the role and what failed, or Error(kNetwork) from the fetcher; files that
// failed verification were not written (metadata verified earlier in the
// same refresh, such as a newer root, stays trusted, as the spec requires),
// and targets() is empty until a later refresh succeeds.
//
// One thread at a time; not copyable.
#pragma once

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "upkeep/net/fetcher.h"
#include "upkeep/platform/clock.h"
#include "upkeep/tuf/metadata.h"

namespace upkeep::tuf {

struct ClientLimits {
  uint64_t root_bytes = 512u << 10;
  uint64_t timestamp_bytes = 512u << 10;
  uint64_t snapshot_bytes = 16u << 20;  // when timestamp.json lists no length
  uint64_t targets_bytes = 16u << 20;   // when snapshot.json lists no length (delegated roles too)
  int max_root_rotations = 32;          // per refresh (spec 5.3.3)
  int max_delegations = 32;             // delegated roles visited per target lookup (spec 5.6.7.1)
};

class Client {
 public:
  // `clock` (which outlives the client) is read once per refresh(); a
  // FixedClock checks expiry as of a given time (an offline bundle's creation).
  Client(std::filesystem::path metadata_dir, std::string metadata_url, std::string targets_url, net::Fetcher& fetcher,
         const Clock& clock = *SystemClock::instance(), ClientLimits limits = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The client workflow: root (5.3), timestamp (5.4), snapshot (5.5), targets (5.6).
  void refresh();

  // After a successful refresh(): every top-level target, sorted by path
  // (delegated roles are not listed; target_info() searches them).
  std::vector<TargetFile> targets() const;
  // After a successful refresh(): the trusted description of `path` (5.6.7),
  // found by a pre-order depth-first search from the top-level targets
  // through the delegations whose paths / path hash prefixes / hash bins
  // cover `path`, in listed order; a terminating delegation ends the search
  // after its subtree, a role already visited is skipped, and at most
  // ClientLimits::max_delegations delegated roles are visited. nullopt when
  // no trusted role lists it (or before a successful refresh). Throws
  // Error(kVerification) when a delegated role on the way fails verification
  // (the search ends there, as the spec says) or Error(kNetwork).
  std::optional<TargetFile> target_info(const std::string& path);
  std::optional<TargetFile> find_target(const std::string& path) { return target_info(path); }
  // Where to download `t`: targets_url + "<dir>/<hash>.<basename>" with
  // consistent snapshots (percent-encoded; the sha256, else the sha512), else
  // targets_url + path. Throws Error(kVerification) for an unsafe target path
  // or one without a supported hash.
  std::string target_url(const TargetFile& t) const;
  // The targets base URL given at construction (ends with '/').
  const std::string& targets_url() const { return targets_url_; }
  // The fixed update start time of the last refresh() (5.1).
  std::time_t update_start_time() const { return start_time_; }

  // The trusted root after refresh() (or after loading it); nullopt before.
  const std::optional<RootMetadata>& root() const { return root_; }
  // The verified versions (0 when unknown), for logs and the UI.
  int64_t timestamp_version() const { return timestamp_ ? timestamp_->version : 0; }
  int64_t snapshot_version() const { return snapshot_ ? snapshot_->version : 0; }
  int64_t targets_version() const { return targets_ ? targets_->version : 0; }
  // The verified roles' expiries (0 when unknown), for `upkeep doctor`'s look ahead.
  std::time_t timestamp_expires() const { return timestamp_ ? timestamp_->expires : 0; }
  std::time_t snapshot_expires() const { return snapshot_ ? snapshot_->expires : 0; }
  std::time_t targets_expires() const { return targets_ ? targets_->expires : 0; }

 private:
  struct Local;              // a cached file: its bytes and verified envelope
  struct DelegatedTargets {  // a verified delegated role
    Envelope envelope;
    TargetsMetadata meta;
  };
  void load_trusted_root();
  void update_root();
  void drop_metadata_of_rotated_keys(const RootMetadata& before, const RootMetadata& after) const;
  void update_timestamp();
  void update_snapshot();
  void update_targets();
  template <class Meta>
  struct ListedRole {
    Meta meta;                           // verified (not yet checked for expiry)
    std::optional<Meta> trusted;         // the cached version before this refresh
    std::optional<std::string> fetched;  // the new file's bytes; nullopt when the cache was reused
  };
  template <class Meta>
  ListedRole<Meta> update_listed_role(const char* role, const MetaFile& want, uint64_t default_limit,
                                      const char* listed_by);
  std::optional<Local> load_local(const char* role) const;
  const TargetsMetadata& load_delegated(const std::string& role, const KeyMap& keys, const RoleKeys& role_keys,
                                        const std::string& delegator);
  void persist(const char* role, const std::string& data) const;
  std::string metadata_name(const char* role, int64_t version) const;

  std::filesystem::path metadata_dir_;
  std::string metadata_url_;
  std::string targets_url_;
  net::Fetcher& fetcher_;
  const Clock& clock_;  // outlives the client
  ClientLimits limits_;

  std::optional<RootMetadata> root_;
  std::optional<TimestampMetadata> timestamp_;
  std::optional<SnapshotMetadata> snapshot_;
  std::optional<TargetsMetadata> targets_;
  // Delegated roles verified since the last refresh(). A std::map: lookups
  // keep pointers into its values while adding more.
  std::map<std::string, DelegatedTargets> delegated_;
  std::time_t start_time_ = 0;
};

}  // namespace upkeep::tuf
