#include "upkeep/net/fetcher_factory.h"

#include <algorithm>

#include "upkeep/net/credential_store.h"
#include "upkeep/net/http_fetcher.h"
#include "upkeep/net/sftp_fetcher.h"

namespace upkeep::net {
namespace {

// Hands each URL to the fetcher of its scheme; the SFTP one is made on first use.
class SchemeFetcher : public Fetcher {
 public:
  explicit SchemeFetcher(FetchOptions opts) : opts_(opts), http_(std::move(opts)) {}

  std::string get(const std::string& url, uint64_t max_bytes) override { return of(url).get(url, max_bytes); }
  std::optional<std::string> get_if_exists(const std::string& url, uint64_t max_bytes) override {
    return of(url).get_if_exists(url, max_bytes);
  }
  DownloadResult download(const std::string& url, const std::filesystem::path& dest, uint64_t expected_length,
                          const std::string& expected_sha256, DownloadProgress* progress) override {
    return of(url).download(url, dest, expected_length, expected_sha256, progress);
  }
  ServerFacts server_facts(const std::string& url) const override {
    if (!is_sftp_url(url)) return http_.server_facts(url);
    return sftp_ ? sftp_->server_facts(url) : ServerFacts{};
  }

 private:
  Fetcher& of(const std::string& url) {
    if (!is_sftp_url(url)) return http_;
    if (!sftp_) sftp_ = std::make_unique<SftpFetcher>(opts_);
    return *sftp_;
  }

  FetchOptions opts_;
  HttpFetcher http_;
  std::unique_ptr<SftpFetcher> sftp_;
};

}  // namespace

bool is_sftp_url(const std::string& url) {
  static const std::string kScheme = "sftp://";
  return url.size() > kScheme.size() && std::equal(kScheme.begin(), kScheme.end(), url.begin(), [](char a, char b) {
           return a == std::tolower(static_cast<unsigned char>(b));
         });
}

FetchOptions with_credentials_file(const std::optional<std::filesystem::path>& file, FetchOptions opts) {
  if (file) opts.credentials = std::make_shared<const CredentialStore>(CredentialStore::load(*file));
  return opts;
}

std::unique_ptr<Fetcher> make_fetcher(FetchOptions opts) { return std::make_unique<SchemeFetcher>(std::move(opts)); }

}  // namespace upkeep::net
