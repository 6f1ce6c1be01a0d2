// ByteView: bounds-checked reads from the bytes of a file that is not
// trusted (a program file whose version we read).
//
// Every read names what it reads; one outside the bytes is
// Error(kBadInput) "<name>: <what> at offset 0x1200 (4 bytes) is past the end
// of the file (4096 bytes); expected it inside the file" (or inside the
// part of the file the view is, e.g. "the resource section"). Offsets and lengths
// are 64-bit and checked without overflow. Integers are little-endian unless
// the view says big-endian (ELF). A view does not own the bytes; it is a
// plain value, safe to share read-only between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace upkeep::fileinfo {

class ByteView {
 public:
  // `scope` names the bytes in messages: "the file", "the resource section".
  ByteView(std::string_view bytes, std::string name, bool big_endian = false, std::string scope = "the file")
      : bytes_(bytes), name_(std::move(name)), scope_(std::move(scope)), big_endian_(big_endian) {}

  uint64_t size() const { return bytes_.size(); }
  const std::string& name() const { return name_; }
  bool big_endian() const { return big_endian_; }
  std::string_view bytes() const { return bytes_; }

  uint8_t u8(uint64_t offset, std::string_view what) const { return static_cast<uint8_t>(read(offset, 1, what)); }
  uint16_t u16(uint64_t offset, std::string_view what) const { return static_cast<uint16_t>(read(offset, 2, what)); }
  uint32_t u32(uint64_t offset, std::string_view what) const { return static_cast<uint32_t>(read(offset, 4, what)); }
  uint64_t u64(uint64_t offset, std::string_view what) const { return read(offset, 8, what); }
  // `length` bytes at `offset`, all inside the view.
  std::string_view range(uint64_t offset, uint64_t length, std::string_view what) const;
  // The same bytes seen with another byte order.
  ByteView with_big_endian(bool big_endian) const { return ByteView(bytes_, name_, big_endian, scope_); }
  // Part of these bytes, its offsets counted from its start, named `scope` in messages.
  ByteView sub(std::string_view bytes, std::string scope) const {
    return ByteView(bytes, name_, big_endian_, std::move(scope));
  }

  // Error(kBadInput) "<name>: <message>".
  [[noreturn]] void refuse(const std::string& message) const;

 private:
  uint64_t read(uint64_t offset, unsigned width, std::string_view what) const;

  std::string_view bytes_;
  std::string name_;
  std::string scope_;
  bool big_endian_;
};

// "0x1a2b": offsets in messages.
std::string hex(uint64_t value);

}  // namespace upkeep::fileinfo
