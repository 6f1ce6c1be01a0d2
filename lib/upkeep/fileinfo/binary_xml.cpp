#include "upkeep/fileinfo/binary_xml.h"

#include <optional>

#include "upkeep/fileinfo/chunk_reader.h"
#include "upkeep/fileinfo/string_pool.h"

namespace upkeep::fileinfo {

namespace {

constexpr uint32_t kNoString = 0xffffffff;
constexpr size_t kNodeHeader = 16;  // ResXMLTree_node: chunk header, line number, comment
constexpr size_t kAttrExt = 20;     // ResXMLTree_attrExt
constexpr size_t kAttribute = 20;   // ResXMLTree_attribute
// One long string named by many attributes must not multiply into gigabytes:
// the decoded text of a document is capped (a real manifest holds kilobytes).
constexpr size_t kMaxDecodedBytes = 16u << 20;

// The parse in progress: the reader, the pool and map seen so far, the depth.
class XmlWalk {
 public:
  explicit XmlWalk(const ChunkReader& r) : r_(r) {}

  void child(const Chunk& c, std::vector<XmlElement>& out) {
    switch (c.type) {
      case kStringPoolChunk:
        if (pool_) r_.bad(c.offset, chunk_name(c.type), "a second string pool; expected one per document");
        pool_ = StringPool::parse(r_, c);
        break;
      case kXmlResourceMap:
        if (!map_.empty()) r_.bad(c.offset, chunk_name(c.type), "a second resource map; expected at most one");
        for (size_t at = c.body(); at + 4 <= c.end(); at += 4) map_.push_back(r_.u32(at));
        break;
      case kXmlStartElement:
        out.push_back(start_element(c));
        break;
      case kXmlEndElement:
        if (depth_ == 0) r_.bad(c.offset, chunk_name(c.type), "closes an element that was never opened");
        --depth_;
        break;
      default:
        break;  // namespaces, text, and chunk types of later versions
    }
  }

 private:
  std::string string(uint32_t index, std::string_view what) {
    if (index == kNoString) return {};
    std::string s = pool_->at(index, what);
    decoded_ += s.size();
    if (decoded_ > kMaxDecodedBytes)
      r_.bad(0, "document",
             "its elements name more than " + std::to_string(kMaxDecodedBytes) +
                 " bytes of strings; expected a manifest of a reasonable size");
    return s;
  }

  XmlElement start_element(const Chunk& c) {
    const std::string what = chunk_name(c.type);
    if (c.header_size < kNodeHeader)
      r_.bad(c.offset, what, "header size " + std::to_string(c.header_size) + "; expected at least 16");
    if (!pool_) r_.bad(c.offset, what, "comes before the string pool; expected the pool first");
    const size_t ext = c.body();
    r_.slice(ext, kAttrExt, c.end(), what + " attribute header");
    XmlElement e;
    e.depth = depth_++;
    e.name = string(r_.u32(ext + 4), "element name");
    const size_t start = r_.u16(ext + 8), step = r_.u16(ext + 10), count = r_.u16(ext + 12);
    if (count > 0 && step < kAttribute)
      r_.bad(c.offset, what, "attribute size " + std::to_string(step) + "; expected at least 20");
    if (start > c.end() - ext || count * step > c.end() - ext - start)
      r_.bad(c.offset, what,
             std::to_string(count) + " attributes of " + std::to_string(step) + " bytes from " + std::to_string(start) +
                 " go past the chunk's end; expected them within the chunk");
    for (size_t i = 0; i < count; ++i) {
      const size_t at = ext + start + i * step;
      XmlAttribute a;
      a.ns = string(r_.u32(at), "attribute namespace");
      const uint32_t name = r_.u32(at + 4);
      a.name = string(name, "attribute name");
      if (name < map_.size()) a.resource_id = map_[name];
      a.value = read_res_value(r_, at + 12, c.end(), "attribute '" + a.name + "' value");
      if (a.value.type == kTypeString) a.value.string = string(a.value.data, "attribute '" + a.name + "' value");
      e.attributes.push_back(std::move(a));
    }
    return e;
  }

  const ChunkReader& r_;
  std::optional<StringPool> pool_;
  std::vector<uint32_t> map_;
  uint32_t depth_ = 0;
  size_t decoded_ = 0;
};

}  // namespace

const XmlAttribute* XmlElement::find(uint32_t resource_id, std::string_view ns, std::string_view name) const {
  for (const XmlAttribute& a : attributes) {
    if (resource_id != 0 && a.resource_id == resource_id) return &a;
  }
  for (const XmlAttribute& a : attributes) {
    if (a.resource_id == 0 && a.ns == ns && a.name == name) return &a;
  }
  return nullptr;
}

BinaryXml BinaryXml::parse(std::string_view bytes, std::string_view source) {
  const ChunkReader r(bytes, source);
  // The type first: a text manifest (as in a source tree) is named as such, not as a bad size.
  if (bytes.size() >= 2 && r.u16(0) != kXmlChunk)
    r.bad(0, "document", "starts with " + chunk_name(r.u16(0)) + "; expected RES_XML_TYPE (0x0003), binary XML");
  const Chunk root = r.chunk(0, bytes.size(), "document");
  BinaryXml xml;
  XmlWalk walk(r);
  r.for_each_child(root, root.body(), "XML chunk", [&](const Chunk& c) { walk.child(c, xml.elements_); });
  return xml;
}

}  // namespace upkeep::fileinfo
