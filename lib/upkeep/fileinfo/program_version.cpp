#include "upkeep/fileinfo/program_version.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <string_view>

#include "upkeep/base/error.h"
#include "upkeep/base/version.h"
#include "upkeep/fileinfo/apk_manifest.h"
#include "upkeep/fileinfo/elf_version_note.h"
#include "upkeep/fileinfo/pe_version_info.h"
#include "upkeep/fileinfo/version_probe.h"
#include "upkeep/platform/mapped_file.h"

namespace upkeep::fileinfo {

namespace {

using Reader = ProgramVersion (*)(const std::filesystem::path&, std::string_view, const ProgramVersionOptions&);

bool is_version(const std::optional<std::string>& text) { return text && Version::parse(*text); }

ProgramVersion read_pe(const std::filesystem::path& file, std::string_view bytes, const ProgramVersionOptions&) {
  const PeVersionInfo info = PeVersionInfo::parse(bytes, file.string());
  ProgramVersion v;
  v.kind = "pe";
  v.file_version = info.file_version;
  v.product_version = info.product_version;
  v.strings = info.strings;
  const std::pair<std::optional<std::string>, const char*> candidates[] = {
      {info.string("ProductVersion"), "StringFileInfo ProductVersion"},
      {info.product_version, "VS_FIXEDFILEINFO ProductVersion"},
      {info.string("FileVersion"), "StringFileInfo FileVersion"},
      {info.file_version, "VS_FIXEDFILEINFO FileVersion"},
  };
  for (const auto& [text, source] : candidates)
    if (is_version(text)) {
      v.version = *text;
      v.source = source;
      return v;
    }
  fail(ErrorCode::kBadInput, file.string() + ": its VERSIONINFO holds no version (ProductVersion '" +
                                 info.string("ProductVersion").value_or("") +
                                 "'); expected SemVer like 1.2.3 or dotted numbers like 10.0.19041.1");
}

ProgramVersion read_elf(const std::filesystem::path& file, std::string_view bytes, const ProgramVersionOptions& o) {
  ProgramVersion v;
  v.kind = "elf";
  if (auto note = ElfVersionNote::parse(bytes, file.string())) {
    Version::parse_or_throw(*note, file.string() + ": the " + std::string(ElfVersionNote::kSection) + " note");
    v.version = *note;
    v.source = std::string(ElfVersionNote::kSection) + " note";
    return v;
  }
  if (!o.run_version)
    fail(ErrorCode::kNotFound, file.string() + ": no " + std::string(ElfVersionNote::kSection) +
                                   " note (owner 'upkeep', type 1); add one (docs/vendor-guide.md) or use "
                                   "--run-version to run the program with --version");
  v.version = VersionProbe::run(file, o.run_timeout);
  v.source = "--version output";
  return v;
}

// APK: versionName when it is a version, else versionCode (what Android itself compares).
ProgramVersion read_apk(const std::filesystem::path& file, std::string_view, const ProgramVersionOptions&) {
  const ApkVersion apk = read_apk_version(file);
  ProgramVersion v;
  v.kind = "apk";
  v.strings = {
      {"package", apk.package}, {"versionName", apk.version_name}, {"versionCode", std::to_string(apk.version_code)}};
  if (apk.version_code_major) v.strings["versionCodeMajor"] = std::to_string(apk.version_code_major);
  if (Version::parse(apk.version_name)) {
    v.version = apk.version_name;
    v.source = "versionName";
  } else {
    v.version = std::to_string(apk.version_code);
    v.source = "versionCode (versionName '" + apk.version_name + "' is no version)";
  }
  return v;
}

struct Kind {
  std::string_view magic;
  Reader read;
};

constexpr Kind kKinds[] = {
    {std::string_view("MZ", 2), read_pe},
    {std::string_view("\x7f"
                      "ELF",
                      4),
     read_elf},
    {std::string_view("PK\x03\x04", 4), read_apk},  // APK
};

std::string first_bytes(std::string_view bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < 4; ++i) {
    char b[4];
    std::snprintf(b, sizeof b, "%02x", static_cast<unsigned char>(bytes[i]));
    out += (i ? " " : "") + std::string(b);
  }
  return out.empty() ? "nothing (an empty file)" : out;
}

}  // namespace

Json ProgramVersion::to_json() const {
  Json j = Json::object();
  j["kind"] = kind;
  j["version"] = version;
  j["source"] = source;
  if (file_version) j["file_version"] = *file_version;
  if (product_version) j["product_version"] = *product_version;
  Json s = Json::object();
  for (const auto& [key, value] : strings) s[key] = value;
  j["strings"] = std::move(s);
  return j;
}

ProgramVersion read_program_version(const std::filesystem::path& file, const ProgramVersionOptions& options) {
  const MappedFile map = MappedFile::open_read_only(file);
  const std::string_view bytes(reinterpret_cast<const char*>(map.data()), map.size());
  for (const Kind& k : kKinds)
    if (bytes.substr(0, k.magic.size()) == k.magic) return k.read(file, bytes, options);
  fail(ErrorCode::kBadInput, file.string() + ": starts with " + first_bytes(bytes) +
                                 "; expected a Windows PE file ('MZ'), an ELF file (7f 'ELF') or an APK (zip, 'PK')");
}

bool is_program_file(const std::filesystem::path& file) {
  const MappedFile map = MappedFile::open_read_only(file);  // only the first page is read
  const std::string_view bytes(reinterpret_cast<const char*>(map.data()), map.size());
  for (const Kind& k : kKinds)
    if (bytes.substr(0, k.magic.size()) == k.magic) return true;
  return false;
}

std::optional<ProgramVersion> find_program_version(const std::filesystem::path& file) {
  const MappedFile map = MappedFile::open_read_only(file);
  const std::string_view bytes(reinterpret_cast<const char*>(map.data()), map.size());
  for (const Kind& k : kKinds) {
    if (bytes.substr(0, k.magic.size()) != k.magic) continue;
    try {
      return k.read(file, bytes, {});
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kBadInput) spdlog::warn("no version recorded for {}", e.what());
      if (e.code() != ErrorCode::kBadInput && e.code() != ErrorCode::kNotFound) throw;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace upkeep::fileinfo
