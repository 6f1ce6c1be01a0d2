// POSIX implementation of io.h.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "upkeep/base/error.h"
#include "upkeep/delta/io.h"
#include "upkeep/platform/fs.h"

namespace upkeep::delta {

InputFile::InputFile(const std::filesystem::path& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fs::fail_errno("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    int err = errno;
    ::close(fd_);
    fs::fail_errno("cannot stat", path, err);
  }
  size_ = static_cast<uint64_t>(st.st_size);
}

InputFile::~InputFile() { ::close(fd_); }

size_t InputFile::read_at(uint64_t offset, void* data, size_t n) const {
  size_t done = 0;
  while (done < n) {
    ssize_t got = ::pread(fd_, static_cast<char*>(data) + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      fs::fail_errno("cannot read", path_, errno);
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
}

RemoveOnFailure::~RemoveOnFailure() {
  if (armed_) ::unlink(path_.c_str());
}

namespace {

// Creates the file exclusively; the guard is armed only once it is ours.
int create_new(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) fail(ErrorCode::kExists, path.string() + ": already exists, expected a new file");
    fs::fail_errno("cannot create", path, errno);
  }
  return fd;
}

}  // namespace

OutputFile::OutputFile(const std::filesystem::path& path, Durability d)
    : path_(path), fd_(create_new(path)), durability_(d), guard_(path), buffer_(1 << 16) {
  if (::fchmod(fd_, 0600) != 0) {  // past the umask
    int err = errno;
    ::close(fd_);
    fs::fail_errno("cannot set the mode of", path, err);
  }
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void OutputFile::write(const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  hasher_.update(p, n);
  written_ += n;
  while (n > 0) {
    if (used_ == buffer_.size()) flush();
    size_t take = std::min(n, buffer_.size() - used_);
    std::memcpy(buffer_.data() + used_, p, take);
    used_ += take;
    p += take;
    n -= take;
  }
}

void OutputFile::flush() {
  size_t off = 0;
  while (off < used_) {
    ssize_t n = ::write(fd_, buffer_.data() + off, used_ - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      fs::fail_errno("cannot write", path_, errno);
    }
    off += static_cast<size_t>(n);
  }
  used_ = 0;
}

std::string OutputFile::commit() {
  flush();
  if (durability_ == Durability::kDurable && ::fsync(fd_) != 0) fs::fail_errno("cannot fsync", path_, errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fs::fail_errno("cannot close", path_, errno);  // NFS reports a full disk here
  guard_.keep();
  return hasher_.hex_digest();
}

}  // namespace upkeep::delta
