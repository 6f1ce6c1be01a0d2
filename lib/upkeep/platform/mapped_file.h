// MappedFile: a whole file mapped into memory, so that large inputs and
// outputs cost address space rather than heap (the zstd patch decoder reads
// its source and writes its target through mappings).
//
// Three kinds: a read-only map of an existing file; a private copy of one,
// whose pages are copied when first written (the file never changes, and
// memory is spent only on the pages written); and a writable map of a new
// file of a given size, whose blocks are reserved first so that a full disk is
// Error(kNoSpace) at creation instead of SIGBUS on a later store. A file of
// size 0 is never mapped (mmap refuses length 0): data() is then nullptr.
// A mapped file must not be truncated by anyone while mapped (SIGBUS).
//
// One object per thread; movable, not copyable. Failures throw Error naming
// the path; after a failed create() no file is left behind. After success of
// create() the file exists and stays on disk whatever happens: removing it on
// a later failure is the caller's job. The destructor unmaps and closes.
#pragma once

#include <cstdint>
#include <filesystem>

namespace upkeep {

class MappedFile {
 public:
  // Maps an existing regular file read-only (kNotFound when missing).
  static MappedFile open_read_only(const std::filesystem::path& path);
  // Maps an existing regular file copy-on-write: writable_data() changes this
  // map only, never the file; sync() does nothing.
  static MappedFile open_private_copy(const std::filesystem::path& path);
  // Creates `path` (Error(kExists) when it exists) with permission bits
  // `mode`, reserves `size` bytes and maps them writable (zero-filled).
  static MappedFile create(const std::filesystem::path& path, uint64_t size, uint32_t mode = 0600);

  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const unsigned char* data() const { return data_; }
  // Only for a map from create() or open_private_copy(); nullptr for a read-only one.
  unsigned char* writable_data() { return writable_ ? data_ : nullptr; }
  uint64_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

  // Writes the mapped pages back and fsyncs the file (writable maps).
  void sync();
  // Unmaps and closes now (idempotent).
  void close();

 private:
  static MappedFile open_existing(const std::filesystem::path& path, bool private_copy);

  std::filesystem::path path_;
  unsigned char* data_ = nullptr;
  uint64_t size_ = 0;
  int fd_ = -1;
  bool writable_ = false;
  bool private_ = false;  // open_private_copy(): writes stay in memory
};

}  // namespace upkeep
