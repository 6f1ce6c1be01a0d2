#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/secret_file.h"

namespace upkeep::fs {
namespace {

std::string octal(unsigned mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0%03o", mode & 07777);
  return buf;
}

// The refusal of a file others may read or that belongs to someone else; "" when it is private.
std::string looseness(const std::filesystem::path& path, const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return path.string() + ": not a regular file; expected a credentials file";
  const uid_t me = ::geteuid();
  if (st.st_uid != me && st.st_uid != 0)
    return path.string() + ": owned by uid " + std::to_string(st.st_uid) + ", expected uid " + std::to_string(me) +
           " (the user running) or root (fix: chown " + std::to_string(me) + " " + path.string() + ")";
  if ((st.st_mode & 077) != 0)
    return path.string() + ": mode " + octal(st.st_mode) + " lets other users read or change it, expected 0600 or " +
           "stricter (fix: chmod 600 " + path.string() + ")";
  return "";
}

}  // namespace

std::string read_secret_file(const std::filesystem::path& path, uint64_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) fail(ErrorCode::kNotFound, path.string() + ": no such credentials file");
    if (err == EACCES || err == EPERM)
      fail(ErrorCode::kPermission, path.string() + ": cannot open: " + std::strerror(err), Fault::kLocal);
    fail(ErrorCode::kFailure, path.string() + ": cannot open: " + std::strerror(err), Fault::kLocal);
  }
  std::string out;
  try {
    struct stat st {};
    // The open file's own mode and owner: no window for a swap between the check and the read.
    if (::fstat(fd, &st) != 0) fail(ErrorCode::kFailure, path.string() + ": cannot stat: " + std::strerror(errno));
    if (std::string why = looseness(path, st); !why.empty()) fail(ErrorCode::kCredentials, "refused: " + why);
    if (static_cast<uint64_t>(st.st_size) > max_bytes)
      fail(ErrorCode::kBadInput,
           path.string() + ": " + std::to_string(st.st_size) + " bytes, expected at most " + std::to_string(max_bytes));
    char buf[8192];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(ErrorCode::kFailure, path.string() + ": cannot read: " + std::strerror(errno));
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
      if (out.size() > max_bytes)
        fail(ErrorCode::kBadInput, path.string() + ": more than " + std::to_string(max_bytes) + " bytes");
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return out;
}

void write_secret_file(const std::filesystem::path& path, const std::string& bytes) {
  write_file_atomic(path, bytes, 0600);
}

}  // namespace upkeep::fs
