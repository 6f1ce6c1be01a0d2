#include "upkeep/net/sftp_fetcher.h"

#include <spdlog/spdlog.h>

#include <istream>

#include "upkeep/base/error.h"
#include "upkeep/net/credential_store.h"
#include "upkeep/net/resumable_download.h"
#include "upkeep/net/sftp_session.h"
#include "upkeep/net/transfer_guard.h"

namespace upkeep::net {
namespace {

// The session a URL is served by: its user (the URL's, else its credential's), host and port.
std::string session_key(const UrlOrigin& where, const Credential* credential) {
  const std::string user = !where.user.empty() ? where.user : credential ? credential->user : "";
  return user + "@" + where.origin();
}

}  // namespace

SftpFetcher::SftpFetcher(FetchOptions opts) : opts_(std::move(opts)) {}

SftpFetcher::~SftpFetcher() = default;

SftpSession& SftpFetcher::session_for(const std::string& url) {
  const UrlOrigin where = UrlOrigin::parse(url);
  if (where.scheme != "sftp") fail(ErrorCode::kUsage, url + ": not an sftp:// URL");
  const Credential* credential = opts_.credentials ? opts_.credentials->find(url) : nullptr;
  std::unique_ptr<SftpSession>& session = sessions_[session_key(where, credential)];
  if (!session || session->broken())
    session = std::make_unique<SftpSession>(
        where, credential,
        SftpSession::Options{.connect_timeout = opts_.connect_timeout, .io_timeout = opts_.stall_timeout});
  return *session;
}

template <typename Fn>
auto SftpFetcher::guarded(const std::string& url, uint64_t expected, Fn&& fn) {
  TransferGuard guard(url, opts_, expected);
  try {
    SftpSession& session = session_for(url);
    guard.attach(session.socket());
    auto result = fn(session, guard);
    guard.detach();
    return result;
  } catch (const Error& e) {
    guard.detach();
    if (e.code() == ErrorCode::kNetwork) {
      // The socket may be shut down (the guard) or out of step: the next request connects again.
      const UrlOrigin where = UrlOrigin::parse(url);
      const Credential* credential = opts_.credentials ? opts_.credentials->find(url) : nullptr;
      sessions_.erase(session_key(where, credential));
    }
    guard.check();  // a limit passed is the reason the read failed
    spdlog::debug("{}: {}", url, e.what());
    throw;
  }
}

std::string SftpFetcher::get(const std::string& url, uint64_t max_bytes) {
  auto body = get_if_exists(url, max_bytes);
  if (!body) fail(ErrorCode::kNetwork, url + ": no such file");
  return std::move(*body);
}

std::optional<std::string> SftpFetcher::get_if_exists(const std::string& url, uint64_t max_bytes) {
  return guarded(url, max_bytes, [&](SftpSession& session, TransferGuard& guard) {
    return session.read_file(SftpSession::path_of(url), max_bytes, [&](size_t n) { guard.count(n); });
  });
}

Fetcher::DownloadResult SftpFetcher::download(const std::string& url, const std::filesystem::path& dest,
                                              uint64_t expected_length, const std::string& expected_sha256,
                                              DownloadProgress* progress) {
  ResumableDownload download(url, dest, expected_length, expected_sha256, progress);
  if (download.finish_if_complete()) return download.result();
  return guarded(url, expected_length, [&](SftpSession& session, TransferGuard& guard) {
    const std::string path = SftpSession::path_of(url);
    auto info = session.stat(path);
    if (!info || !info->regular) fail(ErrorCode::kNetwork, url + ": no such file");
    const uint64_t offset = download.offset();
    download.begin(offset, info->size);  // a remote length other than the signed one is refused here
    auto body = session.open_read(path, offset, [&](size_t n) { guard.count(n); });
    std::istream in(body.get());
    download.receive(in);
    download.finish();
    if (offset > 0) spdlog::info("{}: resumed at byte {} of {}", url, offset, expected_length);
    return download.result();
  });
}

}  // namespace upkeep::net
