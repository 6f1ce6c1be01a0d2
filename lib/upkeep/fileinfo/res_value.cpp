#include "upkeep/fileinfo/res_value.h"

namespace upkeep::fileinfo {

std::string ResValue::describe() const {
  switch (type) {
    case kTypeNull:
      return "an empty value";
    case kTypeReference:
    case kTypeDynamicReference:
      return "a reference to resource " + hex(data);
    case kTypeAttribute:
      return "a theme attribute " + hex(data);
    case kTypeString:
      return "a string";
    case kTypeIntDec:
    case kTypeIntHex:
      return "the integer " + std::to_string(data);
    case kTypeIntBoolean:
      return "a boolean";
    default:
      return "a value of type " + hex(type);
  }
}

ResValue read_res_value(const ChunkReader& r, size_t at, size_t end, std::string_view what) {
  r.slice(at, 8, end, what);
  const uint16_t size = r.u16(at);
  if (size < 8) r.bad(at, what, "value size " + std::to_string(size) + "; expected at least 8");
  ResValue v;
  v.type = r.u8(at + 3);
  v.data = r.u32(at + 4);
  return v;
}

}  // namespace upkeep::fileinfo
