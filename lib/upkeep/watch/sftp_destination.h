// SftpDestination: a PublishDestination on an SFTP server
// (`upkeep watch --publish sftp://user@host/srv/repo`), over one
// net::SftpSession made at the first operation and again after the
// connection broke, with the credentials and known_hosts of the URL
// (`--credentials FILE`, net/credential_store.h).
//
// Writes: put_file uploads under the name RepositoryUpload gives (itself
// written to a temporary name and renamed, SftpSession::upload_file);
// rename is SftpSession::rename_over, which on OpenSSH's SFTP v3 removes
// the target first, so a reader may find it missing for that moment but
// never half-written. Errors: those of SftpSession (kNetwork, kCredentials,
// kVerification for a host key), naming the server and the path. One
// thread at a time.
#pragma once

#include <memory>
#include <string>

#include "upkeep/net/credential_store.h"
#include "upkeep/net/sftp_session.h"
#include "upkeep/watch/publish_destination.h"

namespace upkeep::watch {

class SftpDestination : public PublishDestination {
 public:
  // `url`: sftp://[user@]host[:port]/absolute/root; `credentials` may be null (then the server refuses us).
  SftpDestination(std::string url, std::shared_ptr<const net::CredentialStore> credentials,
                  net::SftpSession::Options options = {});

  std::string describe() const override { return url_; }
  std::map<std::string, uint64_t> list_files() override;
  std::optional<std::string> read_file(const std::string& path, uint64_t max_bytes) override;
  void put_file(const std::filesystem::path& from, const std::string& path) override;
  void rename(const std::string& from, const std::string& to) override;
  void remove(const std::string& path) override;

 private:
  net::SftpSession& session();
  std::string remote(const std::string& path) const { return root_ + "/" + path; }
  void list_into(const std::string& rel, std::map<std::string, uint64_t>& out, int depth);

  std::string url_;
  std::string root_;  // the remote folder, without a trailing '/'
  std::shared_ptr<const net::CredentialStore> credentials_;
  net::SftpSession::Options options_;
  std::unique_ptr<net::SftpSession> session_;
};

}  // namespace upkeep::watch
