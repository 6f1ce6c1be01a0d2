#include "upkeep/publish/repository_mirror.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/delta/delta_bundle.h"
#include "upkeep/delta/delta_index.h"
#include "upkeep/install/manifest.h"
#include "upkeep/platform/fs.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/repository/release_facts.h"
#include "upkeep/repository/repository_layout.h"
#include "upkeep/repository/repository_trust.h"
#include "upkeep/tuf/metadata.h"
#include "upkeep/tuf/role_names.h"
#include "upkeep/tuf/tuf_client.h"

namespace upkeep::publish {
namespace stdfs = std::filesystem;

namespace {

constexpr uint64_t kMaxRootBytes = 512u << 10;

// Re-throws `e` with the file it was about in front, keeping its code.
[[noreturn]] void about(const std::string& what, const Error& e) { fail(e.code(), what + ": " + e.what()); }

// The file name of `t` under targets/: "<dir>/<sha256>.<name>" with
// consistent snapshots (as Client::target_url, unencoded), else its path.
std::string stored_name(const tuf::TargetFile& t, bool consistent) {
  std::string why;
  if (!is_safe_relative_path(t.path, &why))
    fail(ErrorCode::kVerification, "targets.json: target path '" + t.path + "' " + why);
  if (t.sha256().empty()) fail(ErrorCode::kVerification, "targets.json: target '" + t.path + "' lists no sha256 hash");
  return consistent ? RepositoryLayout::consistent_name(t.path, t.sha256()) : t.path;
}

std::optional<std::string> read_if_exists(const stdfs::path& p, uint64_t max_bytes) {
  std::error_code ec;
  if (!stdfs::is_regular_file(p, ec)) return std::nullopt;
  return fs::read_file(p, max_bytes);
}

tuf::Envelope parse_envelope(const std::string& text, const std::string& what) {
  try {
    return tuf::Envelope::parse(text, what);
  } catch (const Error& e) {
    fail(ErrorCode::kVerification, e.what());
  }
}

// Root version k as the chain needs it: itself version k and signed by a
// threshold of its own root keys, and root k + 1 (already trusted) signed by
// a threshold of k's root keys. Returns why not, or "".
std::string check_older_root(const std::string& text, int64_t k, const tuf::Envelope& next) {
  const std::string what = RepositoryLayout::root_file_name(k);
  try {
    tuf::Envelope env = parse_envelope(text, what);
    tuf::RootMetadata root = tuf::RootMetadata::parse(env.signed_json, what);
    if (root.version != k) return what + ": version is " + std::to_string(root.version);
    tuf::verify_threshold(env, root.keys, root.role(tuf::kRootRole), what);
    tuf::verify_threshold(next, root.keys, root.role(tuf::kRootRole),
                          std::to_string(k + 1) + ".root.json (by the keys of " + what + ")");
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

// The mirror copies top-level targets only: Error(kFailure) when the
// verified snapshot lists a delegated targets role.
void refuse_delegations(const stdfs::path& trust) {
  const std::string snapshot_text = fs::read_file(trust / "snapshot.json", tuf::kMaxLocalMetadataBytes);
  auto snapshot = tuf::SnapshotMetadata::parse(parse_envelope(snapshot_text, "snapshot.json").signed_json);
  for (const auto& [name, meta] : snapshot.meta)
    if (name != "targets.json")
      fail(ErrorCode::kFailure,
           "snapshot.json lists the delegated targets role '" + name + "': mirroring delegated roles is not supported");
}

}  // namespace

RepositoryMirror::RepositoryMirror(MirrorOptions options, net::Fetcher& fetcher, MirrorProgress progress)
    : options_(std::move(options)), fetcher_(fetcher), progress_(std::move(progress)) {
  if (options_.source_url.empty()) fail(ErrorCode::kUsage, "mirror: the source URL is empty");
  if (options_.source_url.back() != '/') options_.source_url += '/';
}

void RepositoryMirror::prepare_trust(MirrorResult& result) {
  const stdfs::path trust = work_dir() / "trust";
  fs::create_directories_durable(trust);
  if (stdfs::exists(trust / "root.json")) return;  // what an earlier run verified
  result.trusted_on_first_use = RepositoryTrust::start(trust, options_.source_url, options_.trusted_root, fetcher_);
}

MirrorResult RepositoryMirror::run() {
  MirrorResult result;
  done_ = known_ = 0;
  prepare_trust(result);
  const stdfs::path trust = work_dir() / "trust";
  tuf::Client client(trust, RepositoryLayout::metadata_url(options_.source_url),
                     RepositoryLayout::targets_url(options_.source_url), fetcher_);
  try {
    client.refresh();
  } catch (const Error& e) {
    about("the metadata of " + options_.source_url, e);
  }
  const bool consistent = client.root()->consistent_snapshot;
  refuse_delegations(trust);

  // Top-level targets first; then every blob and patch their delta bundles list.
  std::vector<tuf::TargetFile> targets = client.targets();
  if (options_.select) {
    const std::set<std::string> wanted = options_.select(targets);
    std::erase_if(targets, [&](const tuf::TargetFile& t) { return !wanted.count(t.path); });
  }
  std::set<std::string> seen;
  std::vector<Item> items;
  for (const auto& t : targets) {
    Item item{stored_name(t, consistent), client.target_url(t), t.length, t.sha256()};
    if (seen.insert(item.rel).second) items.push_back(std::move(item));
  }
  known_ = items.size();
  for (const Item& item : items) ensure(item, result);

  // A selection copies no blobs or patches.
  const std::vector<Item> pieces = options_.select ? std::vector<Item>{} : delta_pieces(targets, consistent, seen);
  known_ += pieces.size();
  for (const Item& item : pieces) ensure(item, result);

  write_metadata(client.root()->version, result);
  result.root_version = client.root()->version;
  result.timestamp_version = client.timestamp_version();
  result.snapshot_version = client.snapshot_version();
  result.targets_version = client.targets_version();
  std::error_code ec;
  stdfs::remove_all(work_dir() / "tmp", ec);
  return result;
}

std::vector<RepositoryMirror::Item> RepositoryMirror::delta_pieces(const std::vector<tuf::TargetFile>& targets,
                                                                   bool consistent, std::set<std::string>& seen) const {
  std::map<std::string, tuf::TargetFile> by_path;
  for (const auto& t : targets) by_path[t.path] = t;
  std::vector<Item> pieces;
  for (const auto& t : targets) {
    const ReleaseFacts facts = ReleaseFacts::read(t.custom);
    if (facts.delta.empty() || facts.manifest.empty()) continue;
    auto bundle = by_path.find(facts.delta);
    auto manifest = by_path.find(facts.manifest);
    if (bundle == by_path.end() || manifest == by_path.end()) continue;  // clients use the package then
    try {
      validate_app_id(facts.app_id);
      for (Item& r : bundle_routes(facts.app_id, bundle->second, manifest->second, consistent))
        if (seen.insert(r.rel).second) pieces.push_back(std::move(r));
    } catch (const Error& e) {
      about(bundle->first, e);
    }
  }
  return pieces;
}

std::vector<RepositoryMirror::Item> RepositoryMirror::bundle_routes(const std::string& app_id,
                                                                    const tuf::TargetFile& bundle,
                                                                    const tuf::TargetFile& manifest,
                                                                    bool consistent) const {
  const std::string& what = bundle.path;
  const std::string bytes = fs::read_file(RepositoryLayout::targets_dir(options_.dir) / stored_name(bundle, consistent),
                                          delta::kMaxBundleContent);
  auto parts =
      delta::unpack_delta_bundle(bytes, {bundle.length, bundle.sha256()}, {manifest.length, manifest.sha256()}, what);
  auto index = delta::DeltaIndex::parse(parts.index_text, what);
  std::vector<Item> routes;
  for (const auto& entry : index.entries()) {
    routes.push_back({delta::blob_target_path(app_id, entry.sha256), "", entry.blob.length, entry.blob.sha256});
    for (const auto& p : entry.patches)
      routes.push_back(
          {delta::patch_target_path(app_id, p.from, entry.sha256, p.algorithm), "", p.stored.length, p.stored.sha256});
  }
  for (Item& r : routes) {
    std::string why;
    if (!is_safe_relative_path(r.rel, &why)) fail(ErrorCode::kVerification, "'" + r.rel + "' " + why);
    r.url = RepositoryLayout::target_url(options_.source_url, r.rel);
  }
  return routes;
}

void RepositoryMirror::ensure(const Item& item, MirrorResult& result) {
  const stdfs::path final_path = RepositoryLayout::targets_dir(options_.dir) / item.rel;
  ++result.files;
  result.bytes_total += item.length;
  std::error_code ec;
  if (stdfs::is_regular_file(final_path, ec) && stdfs::file_size(final_path, ec) == item.length &&
      hash_file_hex(final_path) == item.sha256) {
    ++result.present;
  } else {
    // Named by its signed hash and length: a re-run resumes the same .part.
    const stdfs::path tmp = work_dir() / "tmp" / (item.sha256 + "-" + std::to_string(item.length));
    fs::create_directories_durable(tmp.parent_path());
    try {
      // Progress within a large file, as bytes fetched by the whole run.
      struct Bytes : net::DownloadProgress {
        std::function<void(uint64_t)> report;
        void on_progress(uint64_t done, uint64_t) override { report(done); }
      } bytes;
      bytes.report = [&](uint64_t done) {
        if (progress_) progress_(done_, known_, result.bytes_fetched + done);
      };
      auto got = fetcher_.download(item.url, tmp, item.length, item.sha256, &bytes);
      result.bytes_fetched += got.bytes_transferred;
      fs::create_directories_durable(final_path.parent_path());
      fs::rename_durable(tmp, final_path);
    } catch (const Error& e) {
      stdfs::remove(tmp, ec);
      about("target " + item.rel, e);
    }
    ++result.fetched;
    spdlog::debug("mirrored {}", item.rel);
  }
  ++done_;
  if (progress_) progress_(done_, known_, result.bytes_fetched);
}

void RepositoryMirror::write_metadata(int64_t root_version, MirrorResult& result) {
  const stdfs::path trust = work_dir() / "trust";
  const stdfs::path md = RepositoryLayout::metadata_dir(options_.dir);
  fs::create_directories_durable(md);
  std::vector<std::pair<std::string, std::string>> files;  // in write order

  // The root chain, newest (the verified one) first, checked backwards.
  std::vector<std::pair<std::string, std::string>> roots;
  std::string next_text = fs::read_file(trust / "root.json", kMaxRootBytes);
  roots.emplace_back(RepositoryLayout::root_file_name(root_version), next_text);
  for (int64_t k = root_version - 1; k >= 1; --k) {
    const std::string name = RepositoryLayout::root_file_name(k);
    const tuf::Envelope next = parse_envelope(next_text, RepositoryLayout::root_file_name(k + 1));
    std::optional<std::string> text = read_if_exists(md / name, kMaxRootBytes);
    if (!text || !check_older_root(*text, k, next).empty()) {
      const std::string url = RepositoryLayout::root_url(options_.source_url, k);
      text = fetcher_.get(url, kMaxRootBytes);
      if (std::string why = check_older_root(*text, k, next); !why.empty())
        fail(ErrorCode::kVerification, url + ": " + why);
    }
    roots.emplace_back(name, *text);
    next_text = *text;
  }
  for (auto it = roots.rbegin(); it != roots.rend(); ++it) files.push_back(*it);
  files.emplace_back("root.json", roots.front().second);

  const std::string timestamp = fs::read_file(trust / "timestamp.json", tuf::kMaxLocalMetadataBytes);
  const std::string snapshot = fs::read_file(trust / "snapshot.json", tuf::kMaxLocalMetadataBytes);
  const std::string targets = fs::read_file(trust / "targets.json", tuf::kMaxLocalMetadataBytes);
  auto ts = tuf::TimestampMetadata::parse(parse_envelope(timestamp, "timestamp.json").signed_json);
  auto snap = tuf::SnapshotMetadata::parse(parse_envelope(snapshot, "snapshot.json").signed_json);
  const bool consistent =
      tuf::RootMetadata::parse(parse_envelope(roots.front().second, "root.json").signed_json).consistent_snapshot;
  auto name_of = [&](int64_t version, const char* role) {
    return consistent ? std::to_string(version) + "." + role + ".json" : std::string(role) + ".json";
  };
  files.emplace_back(name_of(snap.meta.at("targets.json").version, "targets"), targets);
  files.emplace_back(name_of(ts.snapshot.version, "snapshot"), snapshot);
  files.emplace_back("timestamp.json", timestamp);  // the commit point, last

  for (const auto& [name, text] : files) {
    if (read_if_exists(md / name, tuf::kMaxLocalMetadataBytes) == text) continue;
    fs::write_file_atomic(md / name, text);
    ++result.metadata_written;
  }
}

}  // namespace upkeep::publish
