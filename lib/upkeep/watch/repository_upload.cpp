#include "upkeep/watch/repository_upload.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <tuple>

#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"

namespace upkeep::watch {

namespace {

constexpr uint64_t kMetadataMax = 64u << 20;  // as large as any metadata the publisher writes

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// "12.root.json" -> 12; 0 for an unversioned name.
uint64_t version_prefix(const std::string& name) {
  size_t digits = 0;
  while (digits < name.size() && digits < 18 && std::isdigit(static_cast<unsigned char>(name[digits]))) ++digits;
  if (digits == 0 || digits >= name.size() || name[digits] != '.') return 0;
  return std::stoull(name.substr(0, digits));
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The latest links (admin/latest_bundle.h): they change in place and install a release that must be live.
bool is_latest_link(const std::string& path) { return path.rfind("download/", 0) == 0; }

// Publishing rank: 0 targets, 1 targets and delegated roles, 2 snapshot,
// 3 root versions, 4 root.json, 5 timestamp.json, 6 the latest links.
int rank(const std::string& path) {
  if (is_latest_link(path)) return 6;
  if (path.rfind("metadata/", 0) != 0) return 0;
  const std::string name = path.substr(9);
  if (name == "timestamp.json") return 5;
  if (name == "root.json") return 4;
  if (ends_with(name, ".root.json")) return 3;
  if (ends_with(name, "snapshot.json")) return 2;
  return 1;
}

}  // namespace

RepositoryUpload::RepositoryUpload(std::filesystem::path local_repo, PublishDestination& destination, int attempts)
    : local_(std::move(local_repo)), destination_(destination), attempts_(std::max(1, attempts)) {
  if (!std::filesystem::exists(local_ / "metadata" / "timestamp.json"))
    fail(ErrorCode::kNotFound, local_.string() + ": no metadata/timestamp.json; expected a repository to publish");
}

std::vector<std::string> RepositoryUpload::order(std::vector<std::string> files) {
  auto key = [](const std::string& p) { return std::make_tuple(rank(p), version_prefix(base_name(p)), p); };
  std::sort(files.begin(), files.end(), [&](const std::string& a, const std::string& b) { return key(a) < key(b); });
  return files;
}

bool RepositoryUpload::immutable_name(const std::string& path) {
  return path.rfind("metadata/", 0) != 0 || version_prefix(base_name(path)) > 0;
}

bool RepositoryUpload::identical(const std::string& path, const std::map<std::string, uint64_t>& present) {
  auto it = present.find(path);
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(local_ / path, ec);
  if (it == present.end() || ec || it->second != size) return false;
  if (is_latest_link(path)) return false;  // a bundle of another version may have the same size: always sent
  if (immutable_name(path)) return true;
  return destination_.read_file(path, kMetadataMax) == fs::read_file(local_ / path, kMetadataMax);
}

void RepositoryUpload::copy_one(const std::string& path, UploadResult& result) {
  const size_t slash = path.rfind('/');
  const std::string temp =
      (slash == std::string::npos ? "" : path.substr(0, slash + 1)) + "." + base_name(path) + ".upkeep-part";
  for (int attempt = 1;; ++attempt) {
    try {
      destination_.put_file(local_ / path, temp);
      destination_.rename(temp, path);
      ++result.uploaded;
      return;
    } catch (const Error& e) {
      try {
        destination_.remove(temp);
      } catch (const Error&) {  // the next put overwrites it anyway
      }
      if (attempt >= attempts_)
        fail_again(e, "publishing " + path + " to " + destination_.describe() + " failed " + std::to_string(attempt) +
                          " times (timestamp.json not written, the destination still " +
                          "serves its previous release): " + e.what());
      spdlog::warn("publishing {} to {} failed (try {} of {}), trying again: {}", path, destination_.describe(),
                   attempt, attempts_, e.what());
      ++result.retries;
    }
  }
}

UploadResult RepositoryUpload::run() {
  std::vector<std::string> files;
  for (const fs::TreeEntry& e : fs::list_tree(local_))
    if (e.type == fs::TreeEntry::Type::kFile && base_name(e.path)[0] != '.') files.push_back(e.path);
  const std::map<std::string, uint64_t> present = destination_.list_files();
  UploadResult result;
  for (const std::string& path : order(std::move(files))) {
    if (identical(path, present)) {
      ++result.skipped;
      continue;
    }
    copy_one(path, result);
  }
  return result;
}

}  // namespace upkeep::watch
