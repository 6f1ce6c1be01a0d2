#include "upkeep/fileinfo/byte_view.h"

#include <cstdio>

#include "upkeep/base/error.h"

namespace upkeep::fileinfo {

std::string hex(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

std::string_view ByteView::range(uint64_t offset, uint64_t length, std::string_view what) const {
  // Written so that neither sum can overflow: offset + length <= size.
  if (offset > bytes_.size() || length > bytes_.size() - offset)
    refuse(std::string(what) + " at offset " + hex(offset) + " (" + std::to_string(length) +
           " bytes) is past the end of " + scope_ + " (" + std::to_string(bytes_.size()) +
           " bytes); expected it inside " + scope_);
  return bytes_.substr(static_cast<size_t>(offset), static_cast<size_t>(length));
}

uint64_t ByteView::read(uint64_t offset, unsigned width, std::string_view what) const {
  std::string_view b = range(offset, width, what);
  uint64_t v = 0;
  for (unsigned i = 0; i < width; ++i) {
    const uint64_t byte = static_cast<unsigned char>(b[big_endian_ ? i : width - 1 - i]);
    v = (v << 8) | byte;
  }
  return v;
}

void ByteView::refuse(const std::string& message) const { fail(ErrorCode::kBadInput, name_ + ": " + message); }

}  // namespace upkeep::fileinfo
