// SftpSession: one SSH connection to an sftp:// repository and its SFTP
// channel (libssh), for SftpFetcher's reads and for uploads (`upkeep watch`
// publishing to an SFTP server).
//
// Connecting: a TCP connect bounded by Options::connect_timeout; the
// server's host key must be listed in the credential's known_hosts file
// (else libssh's defaults, ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts;
// the user's ~/.ssh/config is not read). An unknown or changed host key is
// Error(kVerification) naming the host and the key's SHA256 fingerprint and
// is never accepted or learnt. Then the password or key of the credential
// for the URL (credential_store.h); none configured, a key file that cannot
// be read, or a refusal is Error(kCredentials). A server unreachable or an
// SSH or SFTP protocol failure is Error(kNetwork).
//
// Paths are absolute on the server: sftp://host/srv/repo/x names /srv/repo/x
// (percent-escapes decoded). Every read is bounded by Options::io_timeout
// (libssh's session timeout); socket() lets a TransferGuard bound the
// rate and the whole request by shutting the socket down, after which the
// session is dead (broken() is true) and a new one must be made.
//
// Thread: one at a time (libssh sessions are not thread-safe). After a
// failure the remote files are as they were, but for a temporary file an
// interrupted upload may leave (".NAME.upkeep-tmp-*", next to the target).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <streambuf>
#include <string>

#include "upkeep/net/credential_store.h"

namespace upkeep::net {

class SftpSession {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{15000};
    std::chrono::milliseconds io_timeout{30000};  // no answer for this long: Error(kNetwork)
  };
  struct FileInfo {
    uint64_t size = 0;
    bool regular = false;
    bool directory = false;
  };

  // Connects to `where` (its scheme sftp, port 22 by default), checks the
  // host key and authenticates with `credential` (null: refused at once).
  // The user is the URL's (sftp://user@host) or else the credential's.
  SftpSession(const UrlOrigin& where, const Credential* credential, Options options);
  ~SftpSession();
  SftpSession(const SftpSession&) = delete;
  SftpSession& operator=(const SftpSession&) = delete;

  // The remote path an sftp:// URL names.
  static std::string path_of(const std::string& url);
  // "sftp://user@host:port": names the session in messages (never a secret).
  const std::string& name() const { return name_; }
  int socket() const;
  bool broken() const { return broken_; }

  // --- reading ---
  std::optional<FileInfo> stat(const std::string& path);  // nullopt: no such file
  // The entries of the folder `dir` (not "." and ".."), by name; nullopt when it does not exist.
  std::optional<std::map<std::string, FileInfo>> list(const std::string& dir);
  // The whole file; nullopt when it does not exist; more than max_bytes is
  // Error(kVerification, Fault::kDelivery) (reading stops at the limit).
  std::optional<std::string> read_file(const std::string& path, uint64_t max_bytes,
                                       const std::function<void(size_t)>& on_bytes = {});
  // A stream of the file from `offset` on (for resuming); each chunk read is
  // reported to on_bytes. Read errors throw Error(kNetwork) from the streambuf.
  std::unique_ptr<std::streambuf> open_read(const std::string& path, uint64_t offset,
                                            std::function<void(size_t)> on_bytes = {});

  // --- writing (uploads) ---
  // Creates `dir` and every missing parent (mode 0755); existing folders are fine.
  void mkdir_p(const std::string& dir);
  // Writes `local`'s bytes to `remote` atomically for readers: to a temporary
  // name in the same folder, then renamed over `remote` (see rename_over).
  // The folder must exist (mkdir_p). `mode` is the file's permission bits.
  void upload_file(const std::filesystem::path& local, const std::string& remote, uint32_t mode = 0644);
  // The same from bytes in memory.
  void write_file(const std::string& remote, const std::string& bytes, uint32_t mode = 0644);
  // Renames `from` over `to`. libssh 0.10 has no posix-rename@openssh.com
  // call and OpenSSH's SFTP v3 rename refuses an existing target, so when the
  // plain rename fails and `to` exists, `to` is removed and the rename
  // retried: readers may find `to` missing for that moment (never half-written).
  void rename_over(const std::string& from, const std::string& to);
  // Removes a file; a missing one is fine.
  void remove(const std::string& path);

 private:
  struct Handles;
  void check_host_key(const Credential* credential);
  void authenticate(const Credential* credential);
  void write_from(const std::string& remote, uint32_t mode,
                  const std::function<size_t(char* buf, size_t n)>& next_chunk);
  [[noreturn]] void sftp_fail(const std::string& what, const std::string& path);

  std::unique_ptr<Handles> h_;
  std::string name_;
  std::string user_;
  bool broken_ = false;
};

}  // namespace upkeep::net
