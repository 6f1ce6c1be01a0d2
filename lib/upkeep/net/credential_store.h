// CredentialStore: what the repositories that want credentials are given,
// from a JSON credentials file (docs/admin-guide.md "Repositories behind
// credentials, and SFTP"):
//
//   {
//     "https://updates.example.com/demo/": {"basic": {"user": "fleet", "password": "…"}},
//     "https://cdn.example.com/":          {"bearer": "…"},
//     "sftp://files.example.com:2222/srv/repo/": {
//       "ssh": {"user": "deploy", "key_file": "/etc/upkeep/deploy_ed25519", "passphrase": "…"},
//       "known_hosts": "/etc/upkeep/known_hosts"}
//   }
//
// A request's URL matches an entry when scheme, host and port are equal
// and its path lies under the entry's path (at a '/' boundary); the longest
// path wins. So a credential only ever goes to the origin it was given for.
// "basic" and "bearer" are for http(s), "ssh" (a password or a key file) and
// "known_hosts" for sftp.
//
// The file must be private (platform/secret_file.h: mode 0600 or stricter,
// owned by the user running or root). Secrets never appear in an error
// message or a log line: errors name the file and the key only.
//
// open() never throws and reads nothing: the file is read at the first
// find(), so a program that makes no request (the app of a per-machine
// install, whose root's file it may not read) never touches it. A missing
// optional file is no credentials; a file that cannot be used keeps its
// error, which find() throws on every request (exit 15 for a refused file).
// The store is immutable (but for that one load, under std::call_once) and
// safe to share between threads.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "upkeep/base/error.h"

namespace upkeep::net {

// The parts of a repository URL that decide where a credential may go.
struct UrlOrigin {
  std::string scheme;  // lower case
  std::string user;    // the user@ part, when present (sftp)
  std::string host;    // lower case; an IPv6 address without brackets
  int port = 0;        // the scheme's default when not written
  std::string path;    // "/" when empty

  // Error(kUsage) naming the URL when it is not scheme://host[:port][/path].
  static UrlOrigin parse(const std::string& url);
  bool same_origin(const UrlOrigin& o) const { return scheme == o.scheme && host == o.host && port == o.port; }
  std::string origin() const;  // "https://host:443"
};

struct Credential {
  enum class Kind { kBasic, kBearer, kSshPassword, kSshKey };
  std::string prefix;  // the file's key, as written: names the entry in messages
  UrlOrigin where;
  Kind kind = Kind::kBasic;
  std::string user;
  std::string password;  // basic, ssh password
  std::string token;     // bearer
  std::filesystem::path key_file;
  std::string passphrase;  // of key_file, "" for none
  std::filesystem::path known_hosts;

  // The Authorization header's value ("Basic …", "Bearer …") for kBasic and kBearer.
  std::string authorization() const;
};

class CredentialStore {
 public:
  static constexpr uint64_t kMaxFileBytes = 1 << 20;

  // An install's own file, <root>/credentials.json (0600), used unless managed policy names another.
  static std::filesystem::path install_file(const std::filesystem::path& root) { return root / "credentials.json"; }

  CredentialStore() = default;  // no credentials

  // Reads a credentials file, refusing a loose one; throws (see the header comment).
  static CredentialStore load(const std::filesystem::path& file);
  // Parses the file's text; `what` names it in errors.
  static CredentialStore parse(const std::string& text, const std::string& what);
  // load() at the first find(), keeping any error for find(); a missing file is no credentials unless `required`.
  static std::shared_ptr<const CredentialStore> open(const std::filesystem::path& file, bool required);

  // The entry for `url` (longest matching prefix), or null. Throws the
  // error open() kept, and Error(kUsage) for a URL it cannot parse.
  const Credential* find(const std::string& url) const;
  const std::filesystem::path& file() const { return file_; }
  size_t size() const { return entries_.size(); }  // of a store loaded or parsed

 private:
  struct Deferred;  // open()'s file, loaded once
  const Credential* find_loaded(const std::string& url) const;

  std::filesystem::path file_;
  std::vector<Credential> entries_;
  std::shared_ptr<Deferred> deferred_;
};

}  // namespace upkeep::net
