// ResValue: one typed value of Android's binary resources (Res_value in
// ResourceTypes.h), as an attribute of the binary XML or an entry of the
// resource table holds it. A plain value; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "upkeep/fileinfo/chunk_reader.h"

namespace upkeep::fileinfo {

// Res_value::dataType values this reader acts on.
enum ValueType : uint8_t {
  kTypeNull = 0x00,
  kTypeReference = 0x01,  // data: a resource id, 0xPPTTEEEE
  kTypeAttribute = 0x02,  // data: a theme attribute's id
  kTypeString = 0x03,     // data: an index into the string pool
  kTypeDynamicReference = 0x07,
  kTypeIntDec = 0x10,
  kTypeIntHex = 0x11,
  kTypeIntBoolean = 0x12,
};

struct ResValue {
  uint8_t type = kTypeNull;
  uint32_t data = 0;
  std::string string;  // the text of a kTypeString, once resolved through its string pool

  bool is_reference() const { return type == kTypeReference || type == kTypeDynamicReference; }
  bool is_int() const { return type == kTypeIntDec || type == kTypeIntHex; }
  // For messages: "a string", "a reference to 0x7f020000", "type 0x05".
  std::string describe() const;
};

// Reads the 8-byte Res_value at `at`, which must end by `end`; its size field must be at least 8.
ResValue read_res_value(const ChunkReader& reader, size_t at, size_t end, std::string_view what);

}  // namespace upkeep::fileinfo
