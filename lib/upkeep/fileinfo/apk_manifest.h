// The version an Android APK declares: the root <manifest> element of its
// AndroidManifest.xml (binary_xml.h) holds package, android:versionName and
// android:versionCode (and android:versionCodeMajor); a versionName given as
// a resource (@string/version_name) is looked up in resources.arsc
// (resource_table.h), its default configuration's value.
//
// Free functions; thread-safe. After success every field of ApkVersion is
// set (version_code_major 0 when absent). Failures: Error(kNotFound) when
// the APK does not exist or declares no versionName or versionCode;
// Error(kBadInput) naming the file and what was wrong for a damaged or
// hostile APK (not a zip, an entry over its cap, a malformed chunk, a
// reference that leads nowhere or loops).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace upkeep::fileinfo {

// The most this reader inflates: real manifests are kilobytes, tables megabytes.
inline constexpr uint64_t kMaxManifestBytes = 4u << 20;
inline constexpr uint64_t kMaxResourcesBytes = 64u << 20;

struct ApkVersion {
  std::string package;        // "com.example.app"
  std::string version_name;   // "3.1.4", resolved when given as a resource
  uint64_t version_code = 0;  // what Android compares: versionCodeMajor << 32 | versionCode
  uint32_t version_code_major = 0;
};

ApkVersion read_apk_version(const std::filesystem::path& apk);

// The same from the two files' bytes: `manifest` (AndroidManifest.xml) and,
// when the APK has one, `resources` (resources.arsc, only parsed when a value
// refers to a resource). `source` names the APK in messages.
ApkVersion apk_version_from(std::string_view manifest, std::optional<std::string_view> resources,
                            std::string_view source);

}  // namespace upkeep::fileinfo
