// The files the delta codecs read and write (internal to delta/).
//
// InputFile reads with positioned reads, so several streams of one file (the
// three of a bsdiff patch, the source of a patch) share one descriptor
// without seeking. OutputFile is the file every codec writes: it must not
// exist (Error(kExists)), is created 0600, written through a buffer and
// hashed (SHA-256) on the way, fsynced by commit(), and removed by the
// destructor when commit() was not reached. RemoveOnFailure is that last
// guarantee alone, for outputs written some other way (a mapping).
//
// Durability::kScratch skips the fsync, for intermediate files that are
// removed again in the same call (a gzip patch's contents) and for files
// made durable later with their whole tree (fs::sync_tree).
//
// One object per thread. Failures throw Error naming the path; a full disk is
// Error(kNoSpace).
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "upkeep/base/hash.h"

namespace upkeep::delta {

enum class Durability { kDurable, kScratch };

class InputFile {
 public:
  explicit InputFile(const std::filesystem::path& path);  // kNotFound when missing
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  uint64_t size() const { return size_; }  // as when opened
  // Reads up to n bytes at `offset`; fewer only at the end of the file.
  size_t read_at(uint64_t offset, void* data, size_t n) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// Removes `path` on destruction unless keep() was called.
class RemoveOnFailure {
 public:
  explicit RemoveOnFailure(std::filesystem::path path) : path_(std::move(path)) {}
  ~RemoveOnFailure();
  RemoveOnFailure(const RemoveOnFailure&) = delete;
  RemoveOnFailure& operator=(const RemoveOnFailure&) = delete;
  void keep() { armed_ = false; }

 private:
  std::filesystem::path path_;
  bool armed_ = true;
};

class OutputFile {
 public:
  explicit OutputFile(const std::filesystem::path& path, Durability d = Durability::kDurable);
  ~OutputFile();  // closes; removes the file unless committed
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(const void* data, size_t n);
  uint64_t written() const { return written_; }
  // Flushes, fsyncs (unless kScratch) and closes; the file then stays. Returns the SHA-256
  // (hex) of everything written.
  std::string commit();
  const std::filesystem::path& path() const { return path_; }

 private:
  void flush();

  std::filesystem::path path_;
  int fd_ = -1;
  Durability durability_;
  RemoveOnFailure guard_;
  std::vector<char> buffer_;
  size_t used_ = 0;
  uint64_t written_ = 0;
  Hasher hasher_;
};

// Little-endian integers of the codecs' containers (`bytes` of them).
inline void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>(v >> (8 * i));
}
inline uint64_t get_le(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | p[i];
  return v;
}
// A 4-byte little-endian value read as signed and widened (a rel32, an sdata4).
inline uint64_t get_le_s32(const unsigned char* p) {
  return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(get_le(p, 4))));
}
// Stores the low `bytes` bytes of `v` at `p`, little-endian.
inline void set_le(unsigned char* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

// LEB128 varints and zigzag-mapped signed numbers of the codecs' containers.
inline void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
// Reads a varint at `at` (advanced past it); false when it runs past the end or over 64 bits.
inline bool get_varint(std::string_view in, size_t& at, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift <= 63 && at < in.size(); shift += 7) {
    const auto b = static_cast<unsigned char>(in[at++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}
inline uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t unzigzag(uint64_t u) { return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1); }

// The temporary files of one call, named `dest` + a suffix (next to the
// output, so on its file system); removed on destruction whatever happened.
class ScratchFiles {
 public:
  explicit ScratchFiles(const std::filesystem::path& dest) : base_(dest.string()) {}
  ~ScratchFiles() {
    for (const auto& p : made_) {
      std::error_code ec;
      std::filesystem::remove(p, ec);
    }
  }
  ScratchFiles(const ScratchFiles&) = delete;
  ScratchFiles& operator=(const ScratchFiles&) = delete;
  // A fresh path; one left by a killed run is removed first.
  std::filesystem::path make(const char* suffix) {
    std::filesystem::path p = base_ + suffix;
    std::error_code ec;
    std::filesystem::remove(p, ec);
    made_.push_back(p);
    return p;
  }

 private:
  std::string base_;
  std::vector<std::filesystem::path> made_;
};

// Appends `in` from `offset` to its end (as its size was when opened) to `out`.
inline void append_file(OutputFile& out, const InputFile& in, uint64_t offset = 0) {
  std::vector<char> buf(1 << 20);
  for (uint64_t at = offset; at < in.size();) {
    const size_t n = in.read_at(at, buf.data(), static_cast<size_t>(std::min<uint64_t>(buf.size(), in.size() - at)));
    if (n == 0) break;  // the file shrank: a caller that cares checks the hash or length
    out.write(buf.data(), n);
    at += n;
  }
}

}  // namespace upkeep::delta
