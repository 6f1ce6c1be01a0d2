// PublishDestination: where `upkeep watch --publish` copies the local
// repository: a folder (LocalFolderDestination, e.g. a web server's
// docroot) or a remote server (an SFTP destination over net/sftp_session.h).
// RepositoryUpload (repository_upload.h) decides what to copy and in which
// order; a destination only moves bytes, so the order rule lives once.
//
// Paths are relative to the destination's root, '/'-separated, already
// checked safe (no "..", no leading '/'). Every method throws Error naming
// the destination and the path on failure (kNetwork for a transport,
// kNoSpace for a full disk, kPermission for a refusal). One thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace upkeep::watch {

class PublishDestination {
 public:
  virtual ~PublishDestination() = default;
  // For messages: "/srv/www/repo", "sftp://host/srv/repo".
  virtual std::string describe() const = 0;
  // Every regular file below the root with its size (an empty map for a
  // root that does not exist yet).
  virtual std::map<std::string, uint64_t> list_files() = 0;
  // A small file's content (metadata, at most `max_bytes`), or nullopt when absent.
  virtual std::optional<std::string> read_file(const std::string& path, uint64_t max_bytes) = 0;
  // Writes the local file `from` as `path` (creating its folders), complete
  // when it returns: the data is on the destination's disk.
  virtual void put_file(const std::filesystem::path& from, const std::string& path) = 0;
  // Renames `from` over `to` atomically: a reader sees the old `to` or the
  // new one, never a mix or nothing (POSIX rename; SFTP posix-rename@openssh.com).
  virtual void rename(const std::string& from, const std::string& to) = 0;
  // Removes a file; an absent one is fine.
  virtual void remove(const std::string& path) = 0;
};

}  // namespace upkeep::watch
