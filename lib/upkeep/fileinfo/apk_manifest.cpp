#include "upkeep/fileinfo/apk_manifest.h"

#include <spdlog/spdlog.h>

#include <functional>
#include <memory>

#include "upkeep/base/error.h"
#include "upkeep/fileinfo/apk_archive.h"
#include "upkeep/fileinfo/binary_xml.h"
#include "upkeep/fileinfo/resource_table.h"

namespace upkeep::fileinfo {

namespace stdfs = std::filesystem;

namespace {

// android.R.attr ids: what the resource map names even in files stripped of attribute names.
constexpr uint32_t kAttrVersionCode = 0x0101021b;
constexpr uint32_t kAttrVersionName = 0x0101021c;
constexpr uint32_t kAttrVersionCodeMajor = 0x01010576;

// The table when a value refers to a resource, loaded at most once; nullptr when the APK has none.
using TableSource = std::function<const ResourceTable*()>;

class ManifestReader {
 public:
  ManifestReader(const XmlElement& root, TableSource table, std::string_view source)
      : root_(root), table_(std::move(table)), source_(source) {}

  ApkVersion read() const {
    ApkVersion v;
    if (const XmlAttribute* a = root_.find(0, "", "package"); a && a->value.type == kTypeString)
      v.package = a->value.string;
    const XmlAttribute* name = root_.find(kAttrVersionName, kAndroidNs, "versionName");
    if (!name) fail(ErrorCode::kNotFound, source_ + ": AndroidManifest.xml declares no android:versionName");
    const ResValue value = resolved(*name, "android:versionName");
    if (value.type != kTypeString)
      fail(ErrorCode::kBadInput, source_ + ": android:versionName is " + value.describe() + "; expected a string");
    if (value.string.empty()) fail(ErrorCode::kNotFound, source_ + ": android:versionName is empty");
    v.version_name = value.string;
    const XmlAttribute* code = root_.find(kAttrVersionCode, kAndroidNs, "versionCode");
    if (!code) fail(ErrorCode::kNotFound, source_ + ": AndroidManifest.xml declares no android:versionCode");
    const uint32_t low = integer(*code, "android:versionCode");
    if (const XmlAttribute* major = root_.find(kAttrVersionCodeMajor, kAndroidNs, "versionCodeMajor"))
      v.version_code_major = integer(*major, "android:versionCodeMajor");
    v.version_code = uint64_t{v.version_code_major} << 32 | low;
    return v;
  }

 private:
  ResValue resolved(const XmlAttribute& a, std::string_view what) const {
    if (!a.value.is_reference()) return a.value;
    const ResourceTable* table = table_();
    if (!table)
      fail(ErrorCode::kBadInput, source_ + ": " + std::string(what) + " refers to resource " + hex(a.value.data) +
                                     " but the APK has no resources.arsc; expected the table that defines it");
    try {
      return table->resolve(a.value.data);
    } catch (const Error& e) {
      fail_again(e, std::string(e.what()) + " (" + std::string(what) + " refers to " + hex(a.value.data) + ")");
    }
  }

  uint32_t integer(const XmlAttribute& a, std::string_view what) const {
    const ResValue v = resolved(a, what);
    if (v.is_int()) return v.data;
    if (v.type == kTypeString && !v.string.empty() && v.string.size() <= 10 &&
        v.string.find_first_not_of("0123456789") == std::string::npos && std::stoull(v.string) <= 0xffffffffu)
      return static_cast<uint32_t>(std::stoull(v.string));
    fail(ErrorCode::kBadInput, source_ + ": " + std::string(what) + " is " + v.describe() + "; expected an integer");
  }

  const XmlElement& root_;
  TableSource table_;
  std::string source_;
};

ApkVersion version_of(std::string_view manifest, const TableSource& table, std::string_view source) {
  const BinaryXml xml = BinaryXml::parse(manifest, std::string(source) + ": AndroidManifest.xml");
  if (xml.elements().empty() || xml.elements().front().name != "manifest") {
    fail(ErrorCode::kBadInput, std::string(source) + ": AndroidManifest.xml's root element is '" +
                                   (xml.elements().empty() ? "" : xml.elements().front().name) +
                                   "'; expected <manifest>");
  }
  return ManifestReader(xml.elements().front(), table, source).read();
}

}  // namespace

ApkVersion apk_version_from(std::string_view manifest, std::optional<std::string_view> resources,
                            std::string_view source) {
  std::unique_ptr<ResourceTable> table;
  return version_of(
      manifest,
      [&]() -> const ResourceTable* {
        if (!table && resources)
          table = std::make_unique<ResourceTable>(
              ResourceTable::parse(*resources, std::string(source) + ": resources.arsc"));
        return table.get();
      },
      source);
}

ApkVersion read_apk_version(const stdfs::path& apk) {
  std::error_code ec;
  if (!stdfs::is_regular_file(apk, ec)) fail(ErrorCode::kNotFound, apk.string() + ": no such file (expected an APK)");
  ApkArchive archive(apk);
  const std::optional<std::string> manifest = archive.read("AndroidManifest.xml", kMaxManifestBytes);
  if (!manifest) fail(ErrorCode::kBadInput, apk.string() + ": holds no AndroidManifest.xml; expected an APK");
  std::unique_ptr<ResourceTable> table;
  bool loaded = false;
  ApkVersion v = version_of(
      *manifest,
      [&]() -> const ResourceTable* {
        if (!loaded) {
          loaded = true;
          if (std::optional<std::string> bytes = archive.read("resources.arsc", kMaxResourcesBytes))
            table = std::make_unique<ResourceTable>(ResourceTable::parse(*bytes, apk.string() + ": resources.arsc"));
        }
        return table.get();
      },
      apk.string());
  spdlog::debug("{}: package {} versionName {} versionCode {}", apk.string(), v.package, v.version_name,
                v.version_code);
  return v;
}

}  // namespace upkeep::fileinfo
