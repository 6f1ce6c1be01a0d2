#include "apk_fixture.h"

#include <catch2/catch.hpp>

#include "test_support.h"

namespace upkeep::test {

namespace {

constexpr const char* kFrameworkRes = "/usr/share/android-framework-res/framework-res.apk";

std::string unzip_entry(const stdfs::path& apk, const std::string& name) {
  const RunResult r = run({"/usr/bin/unzip", "-p", apk.string(), name});
  INFO("unzip -p " << apk << " " << name << ": " << r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

}  // namespace

std::string manifest_xml(const std::string& attributes) {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
         "<manifest xmlns:android=\"http://schemas.android.com/apk/res/android\"\n"
         "    package=\"com.example.upkeep\" " +
         attributes +
         ">\n"
         "  <application android:label=\"@string/app_name\"/>\n"
         "</manifest>\n";
}

ApkFixture build_apk(const stdfs::path& dir, const std::string& manifest, const std::map<std::string, std::string>& res,
                     const std::vector<std::string>& options) {
  stdfs::create_directories(dir / "res" / "values");
  write_text(dir / "AndroidManifest.xml", manifest);
  for (const auto& [path, content] : res) {
    stdfs::create_directories((dir / "res" / path).parent_path());
    write_text(dir / "res" / path, content);
  }
  ApkFixture f;
  f.apk = dir / "app.apk";
  std::vector<std::string> argv{"aapt", "package", "-f"};
  argv.insert(argv.end(), options.begin(), options.end());
  for (const char* arg : {"-M", "AndroidManifest.xml", "-S", "res", "-I", kFrameworkRes, "-F"}) argv.push_back(arg);
  argv.push_back(f.apk.string());
  // aapt resolves -M and -S against the working folder: run it through sh in `dir`.
  std::string cmd = "cd '" + dir.string() + "' && exec";
  for (const std::string& a : argv) cmd += " '" + a + "'";
  const RunResult r = run({"/bin/sh", "-c", cmd});
  INFO("aapt (packages aapt android-framework-res, scripts/setup.sh) failed: " << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  f.manifest = unzip_entry(f.apk, "AndroidManifest.xml");
  f.resources = unzip_entry(f.apk, "resources.arsc");
  return f;
}

uint32_t get_u32(const std::string& b, size_t at) {
  REQUIRE(at + 4 <= b.size());
  uint32_t v = 0;
  for (size_t i = 4; i-- > 0;) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
  return v;
}

void put_u32(std::string& b, size_t at, uint32_t v) {
  REQUIRE(at + 4 <= b.size());
  for (size_t i = 0; i < 4; ++i) b[at + i] = static_cast<char>(v >> (8 * i));
}

void put_u16(std::string& b, size_t at, uint16_t v) {
  REQUIRE(at + 2 <= b.size());
  b[at] = static_cast<char>(v), b[at + 1] = static_cast<char>(v >> 8);
}

size_t find_chunk(const std::string& b, uint16_t type) {
  const size_t root_header = static_cast<uint16_t>(get_u32(b, 0) >> 16);
  for (size_t at = root_header; at + 8 <= b.size();) {
    if ((get_u32(b, at) & 0xffff) == type) return at;
    const uint32_t size = get_u32(b, at + 4);
    REQUIRE(size >= 8);
    at += size;
  }
  FAIL("no chunk of type " << type);
  return 0;
}

}  // namespace upkeep::test
