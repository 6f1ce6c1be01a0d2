#include "upkeep/watch/sftp_destination.h"

#include "upkeep/base/error.h"

namespace upkeep::watch {

namespace {

constexpr int kMaxDepth = 32;  // a repository is a few folders deep; a loop of links on the server is not followed

}  // namespace

SftpDestination::SftpDestination(std::string url, std::shared_ptr<const net::CredentialStore> credentials,
                                 net::SftpSession::Options options)
    : url_(std::move(url)), credentials_(std::move(credentials)), options_(options) {
  root_ = net::SftpSession::path_of(url_);
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_.empty() || root_ == "/")
    fail(ErrorCode::kUsage,
         "--publish " + url_ + ": expected a folder below the server's root, e.g. sftp://host/srv/repo");
}

net::SftpSession& SftpDestination::session() {
  if (session_ && session_->broken()) session_.reset();  // a new connection after a dropped one
  if (!session_)
    session_ = std::make_unique<net::SftpSession>(net::UrlOrigin::parse(url_),
                                                  credentials_ ? credentials_->find(url_) : nullptr, options_);
  return *session_;
}

void SftpDestination::list_into(const std::string& rel, std::map<std::string, uint64_t>& out, int depth) {
  if (depth > kMaxDepth) fail(ErrorCode::kBadInput, url_ + "/" + rel + ": folders nested too deep");
  const auto entries = session().list(rel.empty() ? root_ : remote(rel));
  if (!entries) return;
  for (const auto& [name, info] : *entries) {
    const std::string path = rel.empty() ? name : rel + "/" + name;
    if (info.regular) out[path] = info.size;
    if (info.directory) list_into(path, out, depth + 1);
  }
}

std::map<std::string, uint64_t> SftpDestination::list_files() {
  std::map<std::string, uint64_t> out;
  list_into("", out, 0);
  return out;
}

std::optional<std::string> SftpDestination::read_file(const std::string& path, uint64_t max_bytes) {
  return session().read_file(remote(path), max_bytes);
}

void SftpDestination::put_file(const std::filesystem::path& from, const std::string& path) {
  const std::string to = remote(path);
  session().mkdir_p(to.substr(0, to.rfind('/')));
  session().upload_file(from, to);
}

void SftpDestination::rename(const std::string& from, const std::string& to) {
  session().rename_over(remote(from), remote(to));
}

void SftpDestination::remove(const std::string& path) { session().remove(remote(path)); }

}  // namespace upkeep::watch
