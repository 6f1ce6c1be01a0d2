// POSIX implementation of fs.h.
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"

namespace upkeep::fs {
namespace {

// Closes the descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string temp_name(const stdfs::path& path) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return path.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rng() % 1000000);
}

void write_all(int fd, std::string_view data, const stdfs::path& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("cannot write", path, errno);
    }
    off += static_cast<size_t>(n);
  }
}

}  // namespace

void fail_errno(const std::string& what, const stdfs::path& path, int err) {
  ErrorCode code = (err == ENOSPC || err == EDQUOT)                ? ErrorCode::kNoSpace
                   : err == ENOENT                                 ? ErrorCode::kNotFound
                   : err == EACCES || err == EPERM || err == EROFS ? ErrorCode::kPermission
                                                                   : ErrorCode::kFailure;
  std::string msg = what + " " + path.string() + ": " + std::strerror(err);
  if (code == ErrorCode::kNoSpace) msg = "not enough space: " + msg;
  fail(code, msg, Fault::kLocal);
}

std::string read_file(const stdfs::path& path, uint64_t max_bytes) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) fail_errno("cannot open", path, errno);
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("cannot read", path, errno);
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes)
      fail(ErrorCode::kBadInput, path.string() + ": larger than the limit of " + std::to_string(max_bytes) + " bytes");
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void write_file_atomic(const stdfs::path& path, std::string_view data, uint32_t mode) {
  std::string tmp = temp_name(path);
  try {
    {
      Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)};
      if (f.fd < 0) fail_errno("cannot create", tmp, errno);
      if (::fchmod(f.fd, mode) != 0) fail_errno("cannot set the mode of", tmp, errno);
      write_all(f.fd, data, tmp);
      if (::fsync(f.fd) != 0) fail_errno("cannot fsync", tmp, errno);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail_errno("cannot rename into", path, errno);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  fsync_dir(path.has_parent_path() ? path.parent_path() : stdfs::path("."));
}

void fsync_file(const stdfs::path& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) fail_errno("cannot open", path, errno);
  if (::fsync(f.fd) != 0) fail_errno("cannot fsync", path, errno);
}

void fsync_dir(const stdfs::path& dir) {
  Fd f{::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (f.fd < 0) fail_errno("cannot open folder", dir, errno);
  if (::fsync(f.fd) != 0 && errno != EINVAL) fail_errno("cannot fsync folder", dir, errno);
}

void sync_tree(const stdfs::path& dir) {
  Fd f{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (f.fd < 0) fail_errno("cannot open folder", dir, errno);
  // Since Linux 5.8 syncfs reports a writeback error of the file system.
  if (::syncfs(f.fd) != 0) fail_errno("cannot sync the file system of", dir, errno);
}

void rename_file(const stdfs::path& from, const stdfs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) fail_errno("cannot rename " + from.string() + " to", to, errno);
}

void rename_durable(const stdfs::path& from, const stdfs::path& to) {
  rename_file(from, to);
  stdfs::path to_dir = to.has_parent_path() ? to.parent_path() : ".";
  stdfs::path from_dir = from.has_parent_path() ? from.parent_path() : ".";
  fsync_dir(to_dir);
  if (from_dir != to_dir) fsync_dir(from_dir);
}

void replace_symlink(const stdfs::path& link, const stdfs::path& target) {
  std::string tmp = temp_name(link);
  if (::symlink(target.c_str(), tmp.c_str()) != 0) fail_errno("cannot create symlink", tmp, errno);
  if (::rename(tmp.c_str(), link.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail_errno("cannot switch symlink", link, err);
  }
  fsync_dir(link.has_parent_path() ? link.parent_path() : stdfs::path("."));
}

std::optional<stdfs::path> read_symlink(const stdfs::path& link) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  if (n < 0) {
    if (errno == ENOENT || errno == EINVAL) return std::nullopt;
    fail_errno("cannot read symlink", link, errno);
  }
  return stdfs::path(std::string(buf, static_cast<size_t>(n)));
}

void create_directories_durable(const stdfs::path& dir) {
  std::vector<stdfs::path> created;
  for (stdfs::path p = dir; !p.empty() && !stdfs::exists(p); p = p.parent_path()) {
    created.push_back(p);
    if (p == p.parent_path()) break;
  }
  std::error_code ec;
  stdfs::create_directories(dir, ec);
  if (ec) fail_errno("cannot create folder", dir, ec.value());
  for (const auto& p : created) fsync_dir(p.has_parent_path() ? p.parent_path() : stdfs::path("."));
}

void remove_tree(const stdfs::path& path) {
  std::error_code ec;
  stdfs::remove_all(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) fail_errno("cannot remove", path, ec.value());
}

uint64_t available_bytes(const stdfs::path& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) fail_errno("cannot query free space of", path, errno);
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

uint32_t file_mode(const stdfs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail_errno("cannot stat", path, errno);
  return st.st_mode & 07777;
}

void set_file_mode(const stdfs::path& path, uint32_t mode) {
  if (::chmod(path.c_str(), mode) != 0) fail_errno("cannot set the mode of", path, errno);
}

stdfs::path self_executable_path() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n < 0) fail_errno("cannot find own executable via", "/proc/self/exe", errno);
  return stdfs::path(std::string(buf, static_cast<size_t>(n)));
}

namespace {

TreeEntry::Type type_of(int dir_fd, const char* name, unsigned char d_type, const stdfs::path& where) {
  switch (d_type) {
    case DT_REG:
      return TreeEntry::Type::kFile;
    case DT_DIR:
      return TreeEntry::Type::kDirectory;
    case DT_LNK:
      return TreeEntry::Type::kSymlink;
    case DT_UNKNOWN:
      break;  // some file systems do not say: ask
    default:
      return TreeEntry::Type::kOther;
  }
  struct stat st {};
  if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) fail_errno("cannot stat", where / name, errno);
  if (S_ISREG(st.st_mode)) return TreeEntry::Type::kFile;
  if (S_ISDIR(st.st_mode)) return TreeEntry::Type::kDirectory;
  if (S_ISLNK(st.st_mode)) return TreeEntry::Type::kSymlink;
  return TreeEntry::Type::kOther;
}

// Lists the folder open as `fd` (takes ownership), recursing through openat.
void list_into(int fd, const std::string& prefix, const stdfs::path& where, std::vector<TreeEntry>& out) {
  DIR* d = ::fdopendir(fd);
  if (!d) {
    int err = errno;
    ::close(fd);
    fail_errno("cannot list", where, err);
  }
  std::vector<std::string> subdirs;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    const char* name = e->d_name;
    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
    TreeEntry entry{prefix + name, type_of(::dirfd(d), name, e->d_type, where)};
    if (entry.type == TreeEntry::Type::kDirectory) subdirs.push_back(name);
    out.push_back(std::move(entry));
  }
  int err = errno;
  for (const auto& sub : subdirs) {
    int child = ::openat(::dirfd(d), sub.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child < 0) {
      int e = errno;
      ::closedir(d);
      fail_errno("cannot open folder", where / sub, e);
    }
    list_into(child, prefix + sub + "/", where / sub, out);
  }
  ::closedir(d);
  if (err) fail_errno("cannot list", where, err);
}

}  // namespace

std::vector<TreeEntry> list_tree(const stdfs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) fail_errno("cannot open folder", dir, errno);
  std::vector<TreeEntry> out;
  list_into(fd, "", dir, out);
  return out;
}

bool is_terminal(int standard_stream) { return ::isatty(standard_stream) == 1; }

bool can_write(const stdfs::path& path) { return ::faccessat(AT_FDCWD, path.c_str(), W_OK, AT_EACCESS) == 0; }

File::File(const stdfs::path& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail_errno("cannot open", path, errno);
}

File::~File() { close(); }

void File::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

uint64_t File::size() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail_errno("cannot stat", path_, errno);
  return static_cast<uint64_t>(st.st_size);
}

void File::seek(uint64_t offset) {
  if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) fail_errno("cannot seek in", path_, errno);
}

size_t File::read(char* data, size_t n) {
  while (true) {
    ssize_t got = ::read(fd_, data, n);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) fail_errno("cannot read", path_, errno);
  }
}

void File::write(const char* data, size_t n) { write_all(fd_, std::string_view(data, n), path_); }

void File::truncate(uint64_t n) {
  if (size() != n && ::ftruncate(fd_, static_cast<off_t>(n)) != 0) fail_errno("cannot truncate", path_, errno);
  seek(n);
}

void File::sync() {
  if (::fsync(fd_) != 0) fail_errno("cannot fsync", path_, errno);
}

stdfs::path make_temp_dir(const std::string& prefix) {
  std::string pattern = (stdfs::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) fail_errno("cannot make the temporary folder", pattern, errno);
  return pattern;
}

}  // namespace upkeep::fs
