// Durable file-system primitives: the only place that talks to the OS about
// files beyond std::filesystem. Implemented per platform (fs_posix.cpp).
//
// Every function is thread-safe (no shared state). Failures throw Error with
// the path in the message; ENOSPC/EDQUOT become ErrorCode::kNoSpace.
// "Durable" means: after return, the change survives a power cut (data and
// the directory entry are fsynced).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace upkeep::fs {

namespace stdfs = std::filesystem;

// Throws the Error for a failed system call on `path` (`err` is its errno):
// kNoSpace for ENOSPC/EDQUOT, kNotFound for ENOENT, kFailure otherwise; the
// message is "<what> <path>: <strerror>".
[[noreturn]] void fail_errno(const std::string& what, const stdfs::path& path, int err);

// Whole-file read; throws kNotFound when missing, kBadInput when larger than max_bytes.
std::string read_file(const stdfs::path& path, uint64_t max_bytes = 64u << 20);

// Writes `data` to a temporary file beside `path`, fsyncs it, renames it over
// `path` and fsyncs the directory. Readers see the old or the new content,
// never a mix. On failure the temporary file is removed and `path` is untouched.
void write_file_atomic(const stdfs::path& path, std::string_view data, uint32_t mode = 0644);

// fsync of a regular file / of a directory (so renames inside it are durable).
void fsync_file(const stdfs::path& path);
void fsync_dir(const stdfs::path& dir);

// Makes every file and folder written below `dir` durable at once (their
// data, modes and directory entries): the cost of a durable tree is one
// call per tree, not one fsync per file. POSIX: one syncfs(2) of the file
// system holding `dir` (it also flushes whatever else is dirty there; an
// fdatasync of each file costs a journal commit per file: 52 s against
// 0.4 s for 10,000 files, docs/benchmarks.md section 8). Windows would call
// FlushFileBuffers on each file (NTFS journals the entries).
void sync_tree(const stdfs::path& dir);

// rename(2) then fsync of the destination's directory (and the source's when different).
void rename_durable(const stdfs::path& from, const stdfs::path& to);
// rename(2) alone, with rename_durable's errors: for many renames into a few
// folders, each of which the caller then fsyncs once (fsync_dir).
void rename_file(const stdfs::path& from, const stdfs::path& to);

// Points `link` at `target` atomically: a new link is made beside it and
// renamed over it, then the directory is fsynced. `target` is stored as given
// (use a relative target so the install root can move).
void replace_symlink(const stdfs::path& link, const stdfs::path& target);
// The link's target as stored, or nullopt when `link` is not a symlink.
std::optional<stdfs::path> read_symlink(const stdfs::path& link);

// Creates the directory and its parents, then fsyncs the parent chain it created.
void create_directories_durable(const stdfs::path& dir);

// Removes a tree; a missing tree is fine. Throws on other errors.
void remove_tree(const stdfs::path& path);

// Makes a new, empty folder only this user may enter (0700) under the
// system's temporary folder ($TMPDIR), named `prefix` and random letters.
// Throws Error naming the folder when it cannot.
stdfs::path make_temp_dir(const std::string& prefix);

// A work folder's guard: removes `path` with everything below it on
// destruction, whatever happened. Never throws (a folder that cannot be
// removed stays). Makes nothing itself.
class RemoveTreeOnExit {
 public:
  explicit RemoveTreeOnExit(stdfs::path path) : path_(std::move(path)) {}
  ~RemoveTreeOnExit() {
    std::error_code ec;
    stdfs::remove_all(path_, ec);
  }
  RemoveTreeOnExit(const RemoveTreeOnExit&) = delete;
  RemoveTreeOnExit& operator=(const RemoveTreeOnExit&) = delete;
  const stdfs::path& path() const { return path_; }

 private:
  stdfs::path path_;
};

// Bytes available to an unprivileged writer on the file system holding `path`.
uint64_t available_bytes(const stdfs::path& path);

// POSIX permission bits of a file (0755, 0644, ...), and setting them.
uint32_t file_mode(const stdfs::path& path);
void set_file_mode(const stdfs::path& path, uint32_t mode);

// Absolute path of the running executable (not argv[0], not the working directory).
stdfs::path self_executable_path();

// Every entry below `dir` (not `dir` itself), with '/'-separated relative
// paths, in no particular order, found by reading each folder once (the
// type comes from the directory entry; no per-file stat where the file
// system reports types). Symlinks are listed, never followed.
struct TreeEntry {
  enum class Type : char { kFile = 'f', kDirectory = 'd', kSymlink = 'l', kOther = 'o' };
  std::string path;
  Type type;
};
std::vector<TreeEntry> list_tree(const stdfs::path& dir);

// True when the standard stream (1 = stdout, 2 = stderr) is a terminal.
bool is_terminal(int standard_stream);

// True when this process may write `path` (a file, or a folder: create and
// remove entries in it): its effective rights and a read-only mount count.
bool can_write(const stdfs::path& path);

// A file opened for reading and writing (created when missing), with
// errors that name the path; a full disk is Error(kNoSpace). Used for
// resumable downloads. One thread; closes on destruction.
class File {
 public:
  explicit File(const stdfs::path& path);
  ~File();
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  uint64_t size() const;
  void seek(uint64_t offset);
  // Reads up to n bytes at the current position; 0 at the end.
  size_t read(char* data, size_t n);
  void write(const char* data, size_t n);
  // Cuts (or extends) the file to n bytes and moves the position there.
  void truncate(uint64_t n);
  void sync();
  void close();
  const stdfs::path& path() const { return path_; }

 private:
  stdfs::path path_;
  int fd_ = -1;
};

}  // namespace upkeep::fs
