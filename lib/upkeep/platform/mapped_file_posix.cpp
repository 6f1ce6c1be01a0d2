// POSIX implementation of mapped_file.h (mmap).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <limits>
#include <utility>

#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/mapped_file.h"

namespace upkeep {

MappedFile MappedFile::open_read_only(const std::filesystem::path& path) { return open_existing(path, false); }

MappedFile MappedFile::open_private_copy(const std::filesystem::path& path) { return open_existing(path, true); }

MappedFile MappedFile::open_existing(const std::filesystem::path& path, bool private_copy) {
  MappedFile m;
  m.path_ = path;
  m.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (m.fd_ < 0) fs::fail_errno("cannot open", path, errno);
  struct stat st {};
  if (::fstat(m.fd_, &st) != 0) fs::fail_errno("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) fail(ErrorCode::kBadInput, path.string() + ": not a regular file");
  m.size_ = static_cast<uint64_t>(st.st_size);
  if (m.size_ > 0) {
    void* p = private_copy ? ::mmap(nullptr, m.size_, PROT_READ | PROT_WRITE, MAP_PRIVATE, m.fd_, 0)
                           : ::mmap(nullptr, m.size_, PROT_READ, MAP_SHARED, m.fd_, 0);
    if (p == MAP_FAILED) fs::fail_errno("cannot map", path, errno);
    m.data_ = static_cast<unsigned char*>(p);
  }
  m.writable_ = m.private_ = private_copy;
  return m;
}

MappedFile MappedFile::create(const std::filesystem::path& path, uint64_t size, uint32_t mode) {
  if (size > static_cast<uint64_t>(std::numeric_limits<off_t>::max()))
    fail(ErrorCode::kBadInput, path.string() + ": cannot create a file of " + std::to_string(size) + " bytes");
  MappedFile m;
  m.path_ = path;
  m.writable_ = true;
  m.fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (m.fd_ < 0) {
    if (errno == EEXIST) fail(ErrorCode::kExists, path.string() + ": already exists, expected a new file");
    fs::fail_errno("cannot create", path, errno);
  }
  try {
    if (::fchmod(m.fd_, mode) != 0) fs::fail_errno("cannot set the mode of", path, errno);  // past the umask
    m.size_ = size;
    if (size > 0) {
      // posix_fallocate returns the error instead of setting errno.
      if (int err = ::posix_fallocate(m.fd_, 0, static_cast<off_t>(size)); err != 0)
        fs::fail_errno("cannot reserve " + std::to_string(size) + " bytes for", path, err);
      void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, m.fd_, 0);
      if (p == MAP_FAILED) fs::fail_errno("cannot map", path, errno);
      m.data_ = static_cast<unsigned char*>(p);
    }
  } catch (...) {
    m.close();
    ::unlink(path.c_str());
    throw;
  }
  return m;
}

MappedFile::~MappedFile() { close(); }

MappedFile::MappedFile(MappedFile&& other) noexcept { *this = std::move(other); }

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    close();
    path_ = std::move(other.path_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    fd_ = std::exchange(other.fd_, -1);
    writable_ = std::exchange(other.writable_, false);
    private_ = std::exchange(other.private_, false);
  }
  return *this;
}

void MappedFile::sync() {
  if (private_) return;  // nothing of it goes to the file
  if (data_ && ::msync(data_, size_, MS_SYNC) != 0) fs::fail_errno("cannot write back", path_, errno);
  if (fd_ >= 0 && ::fsync(fd_) != 0) fs::fail_errno("cannot fsync", path_, errno);
}

void MappedFile::close() {
  if (data_) ::munmap(data_, size_);
  data_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace upkeep
