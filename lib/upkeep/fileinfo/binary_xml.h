// BinaryXml: Android's compiled XML ("AXML", RES_XML_TYPE), as aapt and
// aapt2 write AndroidManifest.xml into an APK: its string pool, resource map
// and start elements with their typed attributes, read from bytes we do not
// trust (chunk walk and checks: chunk_reader.h, string_pool.h).
//
// parse() reads the whole document or throws Error(kBadInput) naming the
// source, the chunk and its offset, what was wrong and what was expected;
// nothing is kept after a failure. Text (CDATA), namespaces and unknown
// chunk types are skipped. The result is a plain value: any thread may read it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "upkeep/fileinfo/res_value.h"

namespace upkeep::fileinfo {

struct XmlAttribute {
  std::string ns;            // namespace URI; empty for none
  std::string name;          // may be empty in stripped files: use resource_id
  uint32_t resource_id = 0;  // from the resource map (android:versionCode is 0x0101021b); 0 when none
  ResValue value;            // a kTypeString's text already resolved
};

struct XmlElement {
  std::string name;
  uint32_t depth = 0;  // 0 for the root element
  std::vector<XmlAttribute> attributes;

  // The attribute with this resource id or, when the file maps none to it,
  // this namespace and name; nullptr when absent.
  const XmlAttribute* find(uint32_t resource_id, std::string_view ns, std::string_view name) const;
};

class BinaryXml {
 public:
  static BinaryXml parse(std::string_view bytes, std::string_view source);

  // Start elements in document order.
  const std::vector<XmlElement>& elements() const { return elements_; }

 private:
  std::vector<XmlElement> elements_;
};

// The android namespace's URI.
inline constexpr std::string_view kAndroidNs = "http://schemas.android.com/apk/res/android";

}  // namespace upkeep::fileinfo
