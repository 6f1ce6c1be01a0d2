// An APK's AndroidManifest.xml (Android binary XML), as read_apk_version
// reads it: the document parsed, then the version read from its root element.
#include "fuzz_support.h"
#include "upkeep/fileinfo/apk_manifest.h"
#include "upkeep/fileinfo/binary_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fuzz = upkeep::fuzz;
  using namespace upkeep::fileinfo;
  const std::string_view bytes = fuzz::as_text(data, size);
  fuzz::accepts([&] {
    const BinaryXml xml = BinaryXml::parse(bytes, "AndroidManifest.xml");
    for (const XmlElement& e : xml.elements()) e.find(0x0101021c, kAndroidNs, "versionName");
  });
  fuzz::accepts([&] { apk_version_from(bytes, std::nullopt, "app.apk"); });
  return 0;
}
