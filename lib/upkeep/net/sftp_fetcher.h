// SftpFetcher: the Fetcher for sftp://[user@]host[:port]/path URLs, over
// SftpSession (sftp_session.h), with the contract of fetcher.h.
//
// One session per server (user, host, port) is kept open between requests
// and made again after it failed. The credential for each URL comes from
// FetchOptions::credentials (credential_store.h); an SSH refusal is
// Error(kCredentials), an unknown or changed host key Error(kVerification).
//
// download() resumes DEST.part by reading the remote file from the .part's
// length (ResumableDownload, shared with HttpFetcher), and checks length and
// SHA-256 while streaming. Limits that hold: connect_timeout bounds the TCP
// connect and the SSH handshake (libssh's timeout, whole seconds);
// stall_timeout bounds every wait for an answer (libssh's timeout once
// connected); min_rate_bytes_per_second over rate_window and the whole
// request's deadline_for() are a TransferGuard's, which shuts the session's
// socket down (so also in the SSH handshake and authentication of a session
// made for this request). The proxy setting does not apply to sftp.
//
// Thread: one at a time. After failure: an Error; a download's .part stays
// when the network failed (not when the bytes were wrong).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "upkeep/net/fetcher.h"

namespace upkeep::net {

class SftpSession;

class SftpFetcher : public Fetcher {
 public:
  explicit SftpFetcher(FetchOptions opts = {});
  ~SftpFetcher() override;

  std::string get(const std::string& url, uint64_t max_bytes) override;
  std::optional<std::string> get_if_exists(const std::string& url, uint64_t max_bytes) override;
  DownloadResult download(const std::string& url, const std::filesystem::path& dest, uint64_t expected_length,
                          const std::string& expected_sha256, DownloadProgress* progress) override;

 private:
  // Runs fn(session, guard) for `url` under a TransferGuard for `expected` bytes.
  template <typename Fn>
  auto guarded(const std::string& url, uint64_t expected, Fn&& fn);
  SftpSession& session_for(const std::string& url);

  FetchOptions opts_;
  std::map<std::string, std::unique_ptr<SftpSession>> sessions_;  // by "user@host:port"
};

}  // namespace upkeep::net
