#include "upkeep/net/sftp_session.h"

#include <Poco/URI.h>
#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/net/resumable_download.h"

namespace upkeep::net {
namespace {

constexpr size_t kChunk = 32 * 1024;  // what OpenSSH's sftp-server answers per read at most (64 KiB) halved

std::string fingerprint(ssh_session ssh) {
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(ssh, &key) != SSH_OK) return "an unreadable key";
  unsigned char* hash = nullptr;
  size_t len = 0;
  std::string out = std::string(ssh_key_type_to_char(ssh_key_type(key))) + " key ";
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) == 0) {
    char* fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
    out += fp ? fp : "?";
    ssh_string_free_char(fp);
    ssh_clean_pubkey_hash(&hash);
  }
  ssh_key_free(key);
  return out;
}

std::string temp_suffix() {
  std::random_device rd;
  char buf[24];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

// A remote file handle, closed on destruction.
struct FileHandle {
  sftp_file f = nullptr;
  ~FileHandle() {
    if (f) sftp_close(f);
  }
};

// The bytes of a remote file from an offset, read in chunks as the reader asks.
class SftpReadBuf : public std::streambuf {
 public:
  SftpReadBuf(sftp_file f, std::string name, std::function<void(size_t)> on_bytes)
      : buf_(kChunk), name_(std::move(name)), on_bytes_(std::move(on_bytes)) {
    file_.f = f;
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    const ssize_t n = sftp_read(file_.f, buf_.data(), buf_.size());
    if (n < 0) fail(ErrorCode::kNetwork, name_ + ": SFTP read failed");
    if (n == 0) return traits_type::eof();
    if (on_bytes_) on_bytes_(static_cast<size_t>(n));
    setg(buf_.data(), buf_.data(), buf_.data() + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  FileHandle file_;
  std::vector<char> buf_;
  std::string name_;
  std::function<void(size_t)> on_bytes_;
};

}  // namespace

struct SftpSession::Handles {
  ssh_session ssh = nullptr;
  sftp_session sftp = nullptr;
  ~Handles() {
    if (sftp) sftp_free(sftp);
    if (ssh) {
      if (ssh_is_connected(ssh)) ssh_disconnect(ssh);
      ssh_free(ssh);
    }
  }
};

SftpSession::SftpSession(const UrlOrigin& where, const Credential* credential, Options options)
    : h_(std::make_unique<Handles>()) {
  user_ = !where.user.empty() ? where.user : credential ? credential->user : "";
  const std::string host = where.host.find(':') != std::string::npos ? "[" + where.host + "]" : where.host;
  name_ = "sftp://" + (user_.empty() ? "" : user_ + "@") + host + ":" + std::to_string(where.port);
  if (user_.empty())
    fail(ErrorCode::kCredentials,
         "refused: credentials: " + name_ +
             " names no user (expected sftp://USER@host/path, or \"user\" in its credentials)");
  // Without credentials the login cannot succeed: say so before connecting (and before the host key).
  if (!credential)
    fail(ErrorCode::kCredentials,
         "refused: credentials: " + name_ + " wants SSH authentication (no credentials are configured for it)");
  h_->ssh = ssh_new();
  if (!h_->ssh) fail(ErrorCode::kFailure, name_ + ": cannot create an SSH session");
  const unsigned int port = static_cast<unsigned int>(where.port);
  long timeout_s = std::max<long>(1, static_cast<long>(options.connect_timeout.count() / 1000));
  bool no = false;  // SSH_OPTIONS_PROCESS_CONFIG takes a bool
  ssh_options_set(h_->ssh, SSH_OPTIONS_HOST, where.host.c_str());
  ssh_options_set(h_->ssh, SSH_OPTIONS_PORT, &port);
  ssh_options_set(h_->ssh, SSH_OPTIONS_USER, user_.c_str());
  ssh_options_set(h_->ssh, SSH_OPTIONS_TIMEOUT, &timeout_s);
  ssh_options_set(h_->ssh, SSH_OPTIONS_PROCESS_CONFIG, &no);  // ~/.ssh/config must not change what we check
  if (!credential->known_hosts.empty()) {
    ssh_options_set(h_->ssh, SSH_OPTIONS_KNOWNHOSTS, credential->known_hosts.c_str());
    ssh_options_set(h_->ssh, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, credential->known_hosts.c_str());
  }
  if (ssh_connect(h_->ssh) != SSH_OK) fail(ErrorCode::kNetwork, name_ + ": cannot connect: " + ssh_get_error(h_->ssh));
  timeout_s = std::max<long>(1, static_cast<long>(options.io_timeout.count() / 1000));
  ssh_options_set(h_->ssh, SSH_OPTIONS_TIMEOUT, &timeout_s);
  check_host_key(credential);
  authenticate(credential);
  h_->sftp = sftp_new(h_->ssh);
  if (!h_->sftp || sftp_init(h_->sftp) != SSH_OK)
    fail(ErrorCode::kNetwork, name_ + ": cannot start SFTP: " + ssh_get_error(h_->ssh));
  spdlog::debug("{}: connected", name_);
}

SftpSession::~SftpSession() = default;

void SftpSession::check_host_key(const Credential* credential) {
  const std::string file =
      credential && !credential->known_hosts.empty() ? credential->known_hosts.string() : "~/.ssh/known_hosts";
  const std::string shows = name_ + " shows " + fingerprint(h_->ssh);
  switch (ssh_session_is_known_server(h_->ssh)) {
    case SSH_KNOWN_HOSTS_OK:
      return;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
      fail(ErrorCode::kVerification, "refused: host key changed: " + shows + ", but " + file +
                                         " lists another key for it; expected the listed key (if the server's "
                                         "key was replaced on purpose, replace its line in " +
                                         file + ")");
    case SSH_KNOWN_HOSTS_NOT_FOUND:
    case SSH_KNOWN_HOSTS_UNKNOWN:
      fail(ErrorCode::kVerification, "refused: unknown host key: " + shows + ", which " + file +
                                         " does not list; expected a known_hosts line for it (add it after "
                                         "checking the fingerprint with the server's administrator)");
    default:
      fail(ErrorCode::kVerification,
           "refused: cannot check the host key of " + name_ + " against " + file + ": " + ssh_get_error(h_->ssh));
  }
}

void SftpSession::authenticate(const Credential* credential) {
  int rc = SSH_AUTH_DENIED;
  if (credential->kind == Credential::Kind::kSshKey) {
    ssh_key key = nullptr;
    const char* passphrase = credential->passphrase.empty() ? nullptr : credential->passphrase.c_str();
    if (ssh_pki_import_privkey_file(credential->key_file.c_str(), passphrase, nullptr, nullptr, &key) != SSH_OK)
      fail(ErrorCode::kCredentials, "credentials: cannot read the SSH key file " + credential->key_file.string() +
                                        " for " + name_ + " (missing, not a private key, or a wrong passphrase)");
    rc = ssh_userauth_publickey(h_->ssh, nullptr, key);
    ssh_key_free(key);
  } else if (credential->kind == Credential::Kind::kSshPassword) {
    rc = ssh_userauth_password(h_->ssh, nullptr, credential->password.c_str());
  }
  if (rc == SSH_AUTH_ERROR) fail(ErrorCode::kNetwork, name_ + ": SSH authentication failed: " + ssh_get_error(h_->ssh));
  if (rc != SSH_AUTH_SUCCESS)
    fail(ErrorCode::kCredentials, "refused: credentials: " + name_ +
                                      " refused SSH authentication (the credentials configured for it were refused)");
}

std::string SftpSession::path_of(const std::string& url) {
  std::string decoded;
  Poco::URI::decode(UrlOrigin::parse(url).path, decoded);
  return decoded;
}

int SftpSession::socket() const { return ssh_get_fd(h_->ssh); }

void SftpSession::sftp_fail(const std::string& what, const std::string& path) {
  const int code = sftp_get_error(h_->sftp);
  if (!ssh_is_connected(h_->ssh)) broken_ = true;
  if (code == SSH_FX_PERMISSION_DENIED)
    fail(ErrorCode::kCredentials,
         "refused: credentials: " + name_ + ": " + what + " " + path + ": permission denied to user " + user_);
  if (code == SSH_FX_NO_SUCH_FILE) fail(ErrorCode::kNetwork, name_ + ": " + what + " " + path + ": no such file");
  broken_ = broken_ || code == 0;  // a transport failure, not an SFTP status
  fail(ErrorCode::kNetwork, name_ + ": " + what + " " + path + ": " + ssh_get_error(h_->ssh) + " (SFTP status " +
                                std::to_string(code) + ")");
}

namespace {

SftpSession::FileInfo info_of(sftp_attributes a) {
  return {.size = a->size,
          .regular = a->type == SSH_FILEXFER_TYPE_REGULAR,
          .directory = a->type == SSH_FILEXFER_TYPE_DIRECTORY};
}

}  // namespace

std::optional<SftpSession::FileInfo> SftpSession::stat(const std::string& path) {
  sftp_attributes a = sftp_stat(h_->sftp, path.c_str());
  if (!a) {
    if (sftp_get_error(h_->sftp) == SSH_FX_NO_SUCH_FILE) return std::nullopt;
    sftp_fail("cannot stat", path);
  }
  const FileInfo info = info_of(a);
  sftp_attributes_free(a);
  return info;
}

std::optional<std::map<std::string, SftpSession::FileInfo>> SftpSession::list(const std::string& dir) {
  sftp_dir d = sftp_opendir(h_->sftp, dir.c_str());
  if (!d) {
    if (sftp_get_error(h_->sftp) == SSH_FX_NO_SUCH_FILE) return std::nullopt;
    sftp_fail("cannot list", dir);
  }
  std::map<std::string, FileInfo> out;
  while (sftp_attributes a = sftp_readdir(h_->sftp, d)) {
    const std::string name = a->name ? a->name : "";
    if (name != "." && name != "..") out[name] = info_of(a);
    sftp_attributes_free(a);
  }
  const bool complete = sftp_dir_eof(d);
  sftp_closedir(d);
  if (!complete) sftp_fail("cannot list", dir);
  return out;
}

std::optional<std::string> SftpSession::read_file(const std::string& path, uint64_t max_bytes,
                                                  const std::function<void(size_t)>& on_bytes) {
  FileHandle file{sftp_open(h_->sftp, path.c_str(), O_RDONLY, 0)};
  if (!file.f) {
    if (sftp_get_error(h_->sftp) == SSH_FX_NO_SUCH_FILE) return std::nullopt;
    sftp_fail("cannot open", path);
  }
  std::string out;
  std::vector<char> buf(kChunk);
  for (;;) {
    const uint64_t room = max_bytes - out.size() + 1;  // one more byte proves the excess
    const ssize_t n = sftp_read(file.f, buf.data(), static_cast<size_t>(std::min<uint64_t>(buf.size(), room)));
    if (n < 0) sftp_fail("cannot read", path);
    if (n == 0) return out;
    if (on_bytes) on_bytes(static_cast<size_t>(n));
    out.append(buf.data(), static_cast<size_t>(n));
    if (out.size() > max_bytes) fail(ErrorCode::kVerification, more_than(name_ + path, max_bytes), Fault::kDelivery);
  }
}

std::unique_ptr<std::streambuf> SftpSession::open_read(const std::string& path, uint64_t offset,
                                                       std::function<void(size_t)> on_bytes) {
  sftp_file f = sftp_open(h_->sftp, path.c_str(), O_RDONLY, 0);
  if (!f) sftp_fail("cannot open", path);
  auto buf = std::make_unique<SftpReadBuf>(f, name_ + path, std::move(on_bytes));
  if (sftp_seek64(f, offset) != 0) sftp_fail("cannot seek in", path);
  return buf;
}

void SftpSession::mkdir_p(const std::string& dir) {
  std::string so_far = !dir.empty() && dir.front() == '/' ? "" : ".";
  for (size_t pos = 0; pos <= dir.size();) {
    const size_t end = std::min(dir.find('/', pos), dir.size());
    const std::string part = dir.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty() || part == ".") continue;
    so_far += "/" + part;
    if (auto st = stat(so_far)) {
      if (!st->directory) fail(ErrorCode::kFailure, name_ + ": " + so_far + " exists and is not a folder");
      continue;
    }
    if (sftp_mkdir(h_->sftp, so_far.c_str(), 0755) != 0) {
      auto st = stat(so_far);  // made meanwhile by someone else: fine
      if (!st || !st->directory) sftp_fail("cannot create the folder", so_far);
    }
  }
}

void SftpSession::write_from(const std::string& remote, uint32_t mode,
                             const std::function<size_t(char* buf, size_t n)>& next_chunk) {
  const auto slash = remote.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : remote.substr(0, slash + 1);
  const std::string temp = dir + "." + remote.substr(slash + 1) + ".upkeep-tmp-" + temp_suffix();
  try {
    {
      FileHandle file{sftp_open(h_->sftp, temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode)};
      if (!file.f) sftp_fail("cannot create", temp);
      std::vector<char> buf(kChunk);
      while (size_t n = next_chunk(buf.data(), buf.size())) {
        for (size_t done = 0; done < n;) {
          const ssize_t w = sftp_write(file.f, buf.data() + done, n - done);
          if (w <= 0) sftp_fail("cannot write", temp);
          done += static_cast<size_t>(w);
        }
      }
      if (sftp_extension_supported(h_->sftp, "fsync@openssh.com", "1") && sftp_fsync(file.f) != 0)
        sftp_fail("cannot sync", temp);
    }
    rename_over(temp, remote);
  } catch (...) {
    if (!broken_) sftp_unlink(h_->sftp, temp.c_str());
    throw;
  }
}

void SftpSession::upload_file(const std::filesystem::path& local, const std::string& remote, uint32_t mode) {
  std::ifstream in(local, std::ios::binary);
  if (!in) fail(ErrorCode::kNotFound, local.string() + ": cannot open for upload");
  write_from(remote, mode, [&](char* buf, size_t n) {
    in.read(buf, static_cast<std::streamsize>(n));
    if (in.bad()) fail(ErrorCode::kFailure, local.string() + ": read failed during upload", Fault::kLocal);
    return static_cast<size_t>(in.gcount());
  });
}

void SftpSession::write_file(const std::string& remote, const std::string& bytes, uint32_t mode) {
  size_t at = 0;
  write_from(remote, mode, [&](char* buf, size_t n) {
    const size_t k = std::min(n, bytes.size() - at);
    std::copy_n(bytes.data() + at, k, buf);
    at += k;
    return k;
  });
}

void SftpSession::rename_over(const std::string& from, const std::string& to) {
  if (sftp_rename(h_->sftp, from.c_str(), to.c_str()) == 0) return;
  if (stat(to)) {
    remove(to);
    if (sftp_rename(h_->sftp, from.c_str(), to.c_str()) == 0) return;
  }
  sftp_fail("cannot rename " + from + " to", to);
}

void SftpSession::remove(const std::string& path) {
  if (sftp_unlink(h_->sftp, path.c_str()) == 0 || sftp_get_error(h_->sftp) == SSH_FX_NO_SUCH_FILE) return;
  sftp_fail("cannot remove", path);
}

}  // namespace upkeep::net
