// Fetcher: the narrow transport interface between the update core and the
// network, so the core can be driven by HTTP(S), file:// or a test source.
//
// HttpFetcher (http_fetcher.h) implements it with Poco for http://, https://
// and file:// URLs, SftpFetcher (sftp_fetcher.h) for sftp:// URLs;
// make_fetcher() (fetcher_factory.h) gives the one that speaks them all.
// One Fetcher may be used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace upkeep::net {

class CredentialStore;

// Receives download progress; called on the downloading thread.
class DownloadProgress {
 public:
  virtual ~DownloadProgress() = default;
  virtual void on_progress(uint64_t bytes_done, uint64_t bytes_total) = 0;
  // The downloads are complete; the caller now verifies and unpacks them (the stagers call it).
  virtual void on_verifying() {}
};

// Limits of every request (docs/decisions.md "No server can hold an update"):
// the defaults are config.json's (min_transfer_rate, min_transfer_rate_seconds).
struct FetchOptions {
  std::chrono::milliseconds connect_timeout{15000};
  std::chrono::milliseconds stall_timeout{30000};  // no byte for this long: give up (slow retrieval)
  // Too slow: fewer than min_rate_bytes_per_second * rate_window body bytes in the last rate_window.
  // And a whole request may take at most deadline_for(its length) (transfer_guard.h).
  uint64_t min_rate_bytes_per_second = 1024;
  std::chrono::milliseconds rate_window{30000};
  std::string proxy;  // "http://host:port"; "direct": none; empty: http_proxy / https_proxy / no_proxy
  // What repositories behind credentials are given (credential_store.h); null: none.
  std::shared_ptr<const CredentialStore> credentials;
};

// What a server said about itself in its last reply: unsigned, so anyone
// on the path may have changed it (`upkeep info` shows it as such).
struct ServerFacts {
  std::string url;            // the request it answered; "" before any reply
  std::string date;           // its clock (HTTP Date)
  std::string last_modified;  // of the resource (HTTP Last-Modified)
  std::string server;         // its software (HTTP Server)
  std::string cache_control;  // how long caches may keep it (HTTP Cache-Control; `upkeep doctor` judges it)
  std::string expires;        // the older form of the same (HTTP Expires)
};

inline constexpr const char* kDirectProxy = "direct";  // FetchOptions::proxy: connect directly

class Fetcher {
 public:
  virtual ~Fetcher() = default;

  // GETs a whole (small) resource. Throws Error(kNetwork) naming the URL and
  // the HTTP status, socket error or the limit passed (too slow, deadline);
  // Error(kCredentials) when the repository refused our credentials or wants
  // some (HTTP 401/403, SSH authentication);
  // Error(kVerification, Fault::kDelivery) when more than max_bytes arrive
  // (endless-data attack) — reading stops at the limit.
  virtual std::string get(const std::string& url, uint64_t max_bytes) = 0;
  // As get(), but a 404 (or a missing file://) gives nullopt.
  virtual std::optional<std::string> get_if_exists(const std::string& url, uint64_t max_bytes) = 0;

  struct DownloadResult {
    uint64_t bytes_transferred = 0;  // over the wire in this call
    bool resumed = false;            // a Range request continued a partial file
  };
  // Downloads `url` to `dest`, via `dest` + ".part". An existing .part is
  // resumed with a Range request (its bytes are hashed first, not fetched
  // again); a server that ignores Range restarts from zero. The length and
  // SHA-256 are checked while streaming: more than expected_length bytes, a
  // short body or a wrong hash is Error(kVerification) and the .part is
  // deleted (Fault::kDelivery: the bytes were wrong, not the release). A
  // dropped connection, or one too slow for FetchOptions' limits, is
  // Error(kNetwork) and the .part stays for the next attempt. On success `dest` holds the complete verified file.
  virtual DownloadResult download(const std::string& url, const std::filesystem::path& dest, uint64_t expected_length,
                                  const std::string& expected_sha256, DownloadProgress* progress) = 0;

  // The facts of the last successful get()/get_if_exists() reply for `url`; empty where the transport has none
  // (file://, sftp://) or nothing was fetched from `url`.
  virtual ServerFacts server_facts(const std::string& url) const { return {}; }
};

}  // namespace upkeep::net
