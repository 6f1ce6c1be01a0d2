// HttpFetcher: the Fetcher for http://, https:// and file:// URLs.
//
// HTTP(S) goes through Poco (HTTPClientSession / HTTPSClientSession). HTTPS
// verifies the server certificate and host name against the system CA store.
// Up to 5 redirects are followed, to the same scheme or from http to https
// (never from https down to http). A proxy comes from FetchOptions::proxy
// ("direct": none) or, when that is empty, from http_proxy / https_proxy /
// no_proxy.
//
// Credentials (FetchOptions::credentials, credential_store.h): a request
// carries "Authorization: Basic/Bearer" only when its URL lies under a prefix
// the credentials were given for, looked up again at every redirect, so
// they never follow a redirect to another origin. 401 and 403 are
// Error(kCredentials) "refused: credentials: URL answered 401 Unauthorized
// (…)", never retried.
//
// file:// URLs (file:///absolute/path) are read straight from disk with the
// same limits, so a repository can live on a share or a USB stick.
//
// Thread-safety: one HttpFetcher may be used by one thread at a time; each
// call opens its own connection, so separate instances run in parallel.
// After success see Fetcher (fetcher.h); after failure an Error was thrown,
// nothing but a download's resumable .part (network failures only) is left.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "upkeep/net/fetcher.h"

namespace upkeep::net {

class HttpFetcher : public Fetcher {
 public:
  explicit HttpFetcher(FetchOptions opts = {});

  std::string get(const std::string& url, uint64_t max_bytes) override;
  std::optional<std::string> get_if_exists(const std::string& url, uint64_t max_bytes) override;
  // As Fetcher::download. A .part that already holds expected_length bytes
  // with the right hash is promoted without touching the network
  // (bytes_transferred 0, resumed true). Progress is reported at most every
  // 64 KiB plus once at the end. ENOSPC is Error(kNoSpace), .part removed.
  DownloadResult download(const std::string& url, const std::filesystem::path& dest, uint64_t expected_length,
                          const std::string& expected_sha256, DownloadProgress* progress) override;
  ServerFacts server_facts(const std::string& url) const override;

 private:
  struct Tls;  // the TLS client context, created on first HTTPS use
  FetchOptions opts_;
  std::shared_ptr<Tls> tls_;
  std::map<std::string, ServerFacts> server_facts_;  // by URL; the metadata files of a few checks
};

}  // namespace upkeep::net
