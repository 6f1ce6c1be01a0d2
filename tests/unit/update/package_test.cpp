#include "upkeep/update/package.h"

#include <Poco/Checksum.h>
#include <Poco/DeflatingStream.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <sstream>

#include "test_support.h"
#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/install/manifest.h"
#include "upkeep/platform/fs.h"

using upkeep::create_package;
using upkeep::Error;
using upkeep::ErrorCode;
using upkeep::extract_package;
using upkeep::FileManifest;
using upkeep::test::read_text;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;

namespace {

// --- A raw zip writer: lets a test put any name, attributes and sizes into an
// archive, which a well-behaved zip library would refuse or normalise.
struct RawEntry {
  RawEntry(std::string name, std::string data, uint32_t st_mode = 0100644, bool deflate = false,
           std::optional<uint64_t> declared_size = std::nullopt)
      : name(std::move(name)),
        data(std::move(data)),
        st_mode(st_mode),
        deflate(deflate),
        declared_size(declared_size) {}
  std::string name;
  std::string data;                       // the uncompressed content
  uint32_t st_mode;                       // goes to the high 16 bits of the external attributes
  bool deflate;                           // method 8 instead of 0 (stored)
  std::optional<uint64_t> declared_size;  // uncompressed size in both headers; default: data.size()
};

void put(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::string raw_deflate(const std::string& data) {
  std::ostringstream os;
  {
    Poco::DeflatingOutputStream def(os, -15, 9);  // negative window bits: raw deflate, as zip stores it
    def << data;
    def.close();
  }
  return os.str();
}

std::string raw_zip(const std::vector<RawEntry>& entries) {
  std::string out, central;
  for (const RawEntry& e : entries) {
    Poco::Checksum crc(Poco::Checksum::TYPE_CRC32);
    crc.update(e.data);
    std::string stored = e.deflate ? raw_deflate(e.data) : e.data;
    uint64_t size = e.declared_size.value_or(e.data.size());
    uint64_t offset = out.size();
    auto common = [&](std::string& h) {
      put(h, 20, 2);                 // version needed
      put(h, 0, 2);                  // flags
      put(h, e.deflate ? 8 : 0, 2);  // method
      put(h, 0, 2);                  // time
      put(h, 0x21, 2);               // date 1980-01-01
      put(h, crc.checksum(), 4);
      put(h, stored.size(), 4);
      put(h, size, 4);
      put(h, e.name.size(), 2);
      put(h, 0, 2);  // extra length
    };
    put(out, 0x04034b50, 4);
    common(out);
    out += e.name;
    out += stored;
    put(central, 0x02014b50, 4);
    put(central, (3 << 8) | 30, 2);  // made by: Unix, 3.0
    common(central);
    put(central, 0, 2);  // comment length
    put(central, 0, 2);  // disk
    put(central, 0, 2);  // internal attributes
    put(central, static_cast<uint64_t>(e.st_mode) << 16, 4);
    put(central, offset, 4);
    central += e.name;
  }
  uint64_t cd_offset = out.size();
  out += central;
  put(out, 0x06054b50, 4);
  put(out, 0, 4);
  put(out, entries.size(), 2);
  put(out, entries.size(), 2);
  put(out, central.size(), 4);
  put(out, cd_offset, 4);
  put(out, 0, 2);
  return out;
}

// Central directory of a zip as name -> (host system, external attributes).
std::map<std::string, std::pair<uint32_t, uint32_t>> central_attributes(const std::string& zip) {
  auto le = [&](size_t at, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(zip.at(at + static_cast<size_t>(i)));
    return v;
  };
  size_t end = zip.size() - 22;
  REQUIRE(le(end, 4) == 0x06054b50);
  std::map<std::string, std::pair<uint32_t, uint32_t>> out;
  size_t at = le(end + 16, 4);
  for (uint64_t i = 0, n = le(end + 10, 2); i < n; ++i) {
    REQUIRE(le(at, 4) == 0x02014b50);
    size_t name_len = le(at + 28, 2);
    out[zip.substr(at + 46, name_len)] = {static_cast<uint32_t>(le(at + 5, 1)), static_cast<uint32_t>(le(at + 38, 4))};
    at += 46 + name_len + le(at + 30, 2) + le(at + 32, 2);
  }
  return out;
}

std::string entry_json(const std::string& path, const std::string& content, int mode = 0644) {
  return R"({"mode":)" + std::to_string(mode) + R"(,"path":")" + path + R"(","sha256":")" +
         upkeep::sha256_hex(content) + R"(","size":)" + std::to_string(content.size()) + "}";
}

// A manifest listing (path, content) pairs, which must be given sorted.
FileManifest manifest_of(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string list;
  for (const auto& [path, content] : files) list += (list.empty() ? "" : ",") + entry_json(path, content);
  return FileManifest::parse(R"({"files":[)" + list + R"(],"format":1,"version":"1.0.0"})");
}

// Every path below `root`, relative, sorted.
std::vector<std::string> tree(const stdfs::path& root) {
  std::vector<std::string> out;
  for (const auto& e : stdfs::recursive_directory_iterator(root))
    out.push_back(e.path().lexically_relative(root).string());
  std::sort(out.begin(), out.end());
  return out;
}

// Extracts `zip_bytes` into a fresh folder and expects a failure with `code` whose
// message contains `needle`; checks nothing was left behind anywhere.
void expect_refused(const std::string& zip_bytes, const FileManifest& m, ErrorCode code, const std::string& needle) {
  TempDir tmp;
  write_text(tmp / "in/package.zip", zip_bytes);
  const stdfs::path dest = tmp / "out/1.0.0";
  try {
    extract_package(tmp / "in/package.zip", dest, m);
    FAIL("extraction succeeded but should have failed with: " << needle);
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(e.code() == code);
    CHECK(std::string(e.what()).find(needle) != std::string::npos);
  }
  CHECK_FALSE(stdfs::exists(dest));
  CHECK_FALSE(stdfs::exists(tmp / "out/1.0.0.tmp-extract"));
  // Nothing escaped the destination either: only the input and the (empty) parent remain.
  CHECK(tree(tmp.path()) == std::vector<std::string>{"in", "in/package.zip", "out"});
}

void make_release(const stdfs::path& root) {
  write_text(root / "bin/app", "#!/bin/sh\necho app\n");
  stdfs::permissions(root / "bin/app", static_cast<stdfs::perms>(0755));
  write_text(root / "lib/deep/nested/data.txt", "data");
  stdfs::permissions(root / "lib/deep/nested/data.txt", static_cast<stdfs::perms>(0640));
  write_text(root / "empty", "");
  std::string big;
  for (int i = 0; big.size() < 300000; ++i) big += std::to_string(i * 7919 % 104729) + ",";
  write_text(root / "share/big.bin", big);  // several read buffers long
}

}  // namespace

TEST_CASE("create_package then extract_package round-trips files, content and modes", "[package]") {
  TempDir tmp;
  make_release(tmp / "build");
  const FileManifest m = FileManifest::from_directory(tmp / "build", "1.0.0");
  create_package(tmp / "build", m, tmp / "package.zip");
  CHECK(stdfs::exists(tmp / "package.zip"));
  CHECK_FALSE(stdfs::exists(tmp / "package.zip.tmp"));

  // Info-ZIP style attributes: host Unix, st_mode in the high 16 bits.
  auto attrs = central_attributes(read_text(tmp / "package.zip"));
  REQUIRE(attrs.count("bin/app"));
  CHECK(attrs["bin/app"].first == 3);
  CHECK(attrs["bin/app"].second >> 16 == 0100755);
  CHECK(attrs["lib/deep/nested/data.txt"].second >> 16 == 0100640);

  extract_package(tmp / "package.zip", tmp / "staging/1.0.0", m);
  m.verify_directory(tmp / "staging/1.0.0", FileManifest::Depth::kFull);
  CHECK(upkeep::fs::file_mode(tmp / "staging/1.0.0/bin/app") == 0755);
  CHECK(upkeep::fs::file_mode(tmp / "staging/1.0.0/lib/deep/nested/data.txt") == 0640);
  CHECK(read_text(tmp / "staging/1.0.0/share/big.bin") == read_text(tmp / "build/share/big.bin"));
  CHECK(tree(tmp / "staging") == std::vector<std::string>{"1.0.0", "1.0.0/bin", "1.0.0/bin/app", "1.0.0/empty",
                                                          "1.0.0/lib", "1.0.0/lib/deep", "1.0.0/lib/deep/nested",
                                                          "1.0.0/lib/deep/nested/data.txt", "1.0.0/share",
                                                          "1.0.0/share/big.bin"});

  // Same folder, same bytes: packages are reproducible.
  create_package(tmp / "build", m, tmp / "again.zip");
  CHECK(read_text(tmp / "again.zip") == read_text(tmp / "package.zip"));
}

TEST_CASE("extract_package accepts a foreign zip with implied directory entries and deflate", "[package]") {
  TempDir tmp;
  write_text(tmp / "p.zip", raw_zip({{"lib/", "", 040755},
                                     {"lib/a.txt", "hello hello hello", 0100600, true},
                                     {"z.txt", "stored", 0}}));  // no type bits at all: a plain file
  FileManifest m = manifest_of({{"lib/a.txt", "hello hello hello"}, {"z.txt", "stored"}});
  extract_package(tmp / "p.zip", tmp / "out/", m);              // a trailing slash names the same folder
  m.verify_directory(tmp / "out", FileManifest::Depth::kFull);  // modes come from the manifest, not the zip
  CHECK_FALSE(stdfs::exists(tmp / "out.tmp-extract"));
}

TEST_CASE("extract_package refuses hostile entry names before writing anything", "[package]") {
  const FileManifest m = manifest_of({{"a.txt", "hello"}});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"../evil", "entry '../evil' has an unsafe name: it has a '..' component"},
      {"/abs", "entry '/abs' has an unsafe name: it is absolute"},
      {"a/../../x", "entry 'a/../../x' has an unsafe name: it has a '..' component"},
      {"a\\b", "entry 'a\\b' has an unsafe name: it contains a backslash"},
      {"C:/x", "entry 'C:/x' has an unsafe name: it starts with a drive letter"},
      {"a//b", "entry 'a//b' has an unsafe name: it has an empty component"},
      {std::string("a.txt\0.sh", 9), "entry 'a.txt\\x00.sh' has an unsafe name: it contains a NUL byte"},
  };
  for (const auto& [name, needle] : cases) {
    INFO(needle);
    // The hostile entry comes last so a streaming extractor would already have written a.txt.
    expect_refused(raw_zip({{"a.txt", "hello"}, {name, "pwned"}}), m, ErrorCode::kVerification, needle);
  }
}

TEST_CASE("extract_package refuses duplicates, symlinks, special files and unlisted entries", "[package]") {
  const FileManifest m = manifest_of({{"a.txt", "hello"}, {"lib/b.txt", "bee"}});
  SECTION("duplicate name") {
    expect_refused(raw_zip({{"a.txt", "hello"}, {"lib/b.txt", "bee"}, {"a.txt", "hello"}}), m, ErrorCode::kVerification,
                   "entry 'a.txt' appears twice in the archive");
  }
  SECTION("symlink entry") {
    expect_refused(raw_zip({{"a.txt", "hello"}, {"lib", "/etc", 0120777}, {"lib/b.txt", "bee"}}), m,
                   ErrorCode::kVerification, "entry 'lib' is a symlink");
  }
  SECTION("symlink entry with a listed name") {
    expect_refused(raw_zip({{"a.txt", "hello"}, {"lib/b.txt", "bee", 0120777}}), m, ErrorCode::kVerification,
                   "entry 'lib/b.txt' is a symlink");
  }
  SECTION("device entry") {
    expect_refused(raw_zip({{"a.txt", "hello", 0020644}, {"lib/b.txt", "bee"}}), m, ErrorCode::kVerification,
                   "entry 'a.txt' is a special file");
  }
  SECTION("entry not in the manifest") {
    expect_refused(raw_zip({{"a.txt", "hello"}, {"lib/b.txt", "bee"}, {"lib/extra.so", "x"}}), m,
                   ErrorCode::kVerification, "entry 'lib/extra.so' is not listed in the manifest");
  }
  SECTION("directory entry no file lies in") {
    expect_refused(raw_zip({{"a.txt", "hello"}, {"lib/b.txt", "bee"}, {"plugins/", "", 040755}}), m,
                   ErrorCode::kVerification, "entry 'plugins/' is a directory that no file of the manifest lies in");
  }
  SECTION("directory entry shadowing a file") {
    expect_refused(raw_zip({{"a.txt/", "", 040755}, {"lib/b.txt", "bee"}}), m, ErrorCode::kVerification,
                   "entry 'a.txt/' is a directory that no file");
  }
  SECTION("manifest file missing from the archive") {
    expect_refused(raw_zip({{"a.txt", "hello"}}), m, ErrorCode::kVerification,
                   "file 'lib/b.txt' of the manifest is missing from the archive");
  }
}

TEST_CASE("extract_package makes a link only where the manifest lists one with that exact target", "[package][links]") {
  const std::string file = entry_json("lib/libx.so.1.0", "ELF");
  const FileManifest m = FileManifest::parse(R"({"files":[{"link":"libx.so.1.0","path":"lib/libx.so.1"},)" + file +
                                             R"(],"format":3,"version":"1.0.0"})");
  const RawEntry lib{"lib/libx.so.1.0", "ELF"};
  SECTION("a link to another target") {
    expect_refused(raw_zip({lib, {"lib/libx.so.1", "../../../../x", 0120777}}), m, ErrorCode::kVerification,
                   "entry 'lib/libx.so.1' has size 13 in the archive, the manifest says 11");
  }
  SECTION("a link out of the tree, its target as long as the signed one") {
    expect_refused(raw_zip({lib, {"lib/libx.so.1", "/etc/passwd", 0120777, true}}), m, ErrorCode::kVerification,
                   "entry 'lib/libx.so.1' is a link to '/etc/passwd', the manifest says 'libx.so.1.0'");
  }
  SECTION("a link the manifest does not list") {
    expect_refused(raw_zip({lib, {"lib/libx.so.1", "libx.so.1.0", 0120777}, {"lib/evil", "/etc", 0120777}}), m,
                   ErrorCode::kVerification, "entry 'lib/evil' is a symlink not listed in the manifest");
  }
  SECTION("a link where the manifest lists a file") {
    expect_refused(raw_zip({{"lib/libx.so.1.0", "../../../", 0120777}, {"lib/libx.so.1", "libx.so.1.0", 0120777}}), m,
                   ErrorCode::kVerification, "entry 'lib/libx.so.1.0' is a symlink, the manifest lists a regular file");
  }
  SECTION("a file where the manifest lists a link") {
    expect_refused(raw_zip({lib, {"lib/libx.so.1", "libx.so.1.0"}}), m, ErrorCode::kVerification,
                   "entry 'lib/libx.so.1' is not a symlink, the manifest lists a link to 'libx.so.1.0' there");
  }
  SECTION("the link missing") {
    expect_refused(raw_zip({lib}), m, ErrorCode::kVerification,
                   "link 'lib/libx.so.1' of the manifest is missing from the archive");
  }
}

TEST_CASE("extract_package checks content and sizes against the manifest", "[package]") {
  const FileManifest m = manifest_of({{"a.txt", "hello"}, {"b.txt", "bee"}});
  SECTION("content differs from the manifest hash") {
    expect_refused(
        raw_zip({{"a.txt", "hello"}, {"b.txt", "BEE"}}), m, ErrorCode::kVerification,
        "entry 'b.txt' has SHA-256 " + upkeep::sha256_hex("BEE") + ", the manifest says " + upkeep::sha256_hex("bee"));
  }
  SECTION("header declares a size larger than the manifest") {
    RawEntry big{"b.txt", "bee", 0100644, false, 1ull << 30};
    expect_refused(raw_zip({{"a.txt", "hello"}, big}), m, ErrorCode::kVerification,
                   "entry 'b.txt' has size 1073741824 in the archive, the manifest says 3");
  }
  SECTION("header declares the manifest size but the data inflates far beyond it (zip bomb)") {
    RawEntry bomb{"b.txt", std::string(8 << 20, '\0'), 0100644, true, 3};
    expect_refused(raw_zip({{"a.txt", "hello"}, bomb}), m, ErrorCode::kVerification,
                   "entry 'b.txt' holds more than the 3 bytes the manifest lists");
  }
  SECTION("data shorter than declared") {
    RawEntry short_entry{"b.txt", "be", 0100644, true, 3};
    expect_refused(raw_zip({{"a.txt", "hello"}, short_entry}), m, ErrorCode::kVerification,
                   "entry 'b.txt' holds only 2 bytes, the manifest lists 3");
  }
}

TEST_CASE("extract_package reports unreadable archives, existing destinations and lack of space", "[package]") {
  const FileManifest m = manifest_of({{"a.txt", "hello"}});
  const std::string good = raw_zip({{"a.txt", "hello"}});
  SECTION("not a zip") {
    expect_refused(std::string(1000, 'x'), m, ErrorCode::kBadInput, "not a readable zip archive");
  }
  SECTION("truncated") {
    expect_refused(good.substr(0, good.size() - 10), m, ErrorCode::kBadInput, "not a readable zip archive");
  }
  SECTION("central directory points past the end") {
    std::string bad = good;
    bad[bad.size() - 3] = '\x7f';  // central directory offset, high byte
    expect_refused(bad, m, ErrorCode::kBadInput, "not a readable zip archive");
  }
  SECTION("corrupt compressed data") {
    const std::string content(3000, 'b');
    std::string bad = raw_zip({{"a.txt", content, 0100644, true}});
    for (size_t i = 30 + 5; i < 30 + 5 + 4; ++i) bad[i] = '\xff';  // the first bytes of the deflate stream
    expect_refused(bad, manifest_of({{"a.txt", content}}), ErrorCode::kBadInput,
                   "entry 'a.txt' cannot be decompressed");
  }
  SECTION("destination exists") {
    TempDir tmp;
    write_text(tmp / "p.zip", good);
    stdfs::create_directory(tmp / "dest");
    try {
      extract_package(tmp / "p.zip", tmp / "dest", m);
      FAIL("expected kExists");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kExists);
      CHECK(std::string(e.what()).find("dest: already exists") != std::string::npos);
    }
    CHECK(stdfs::is_empty(tmp / "dest"));
  }
  SECTION("manifest larger than the free space fails before extracting") {
    std::string json = R"({"files":[{"mode":420,"path":"a.txt","sha256":")" + upkeep::sha256_hex("hello") +
                       R"(","size":1152921504606846976}],"format":1,"version":"1.0.0"})";
    expect_refused(good, FileManifest::parse(json), ErrorCode::kNoSpace,
                   "not enough space: need 1152921504606846976 bytes, ");
  }
}

TEST_CASE("extract_package turns a full disk into kNoSpace and leaves nothing behind", "[package]") {
  TempDir tmp;
  stdfs::create_directory(tmp / "small");
  // A 64 KiB tmpfs: 40 one-byte files fit the manifest's byte count but not the
  // file system's page-per-file accounting, so a write fails with ENOSPC.
  if (::mount("tmpfs", (tmp / "small").c_str(), "tmpfs", 0, "size=64k") != 0) {
    WARN("skipped: mounting a tmpfs needs CAP_SYS_ADMIN");
    return;
  }
  struct Unmount {
    stdfs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{tmp / "small"};
  std::vector<std::pair<std::string, std::string>> files;
  std::vector<RawEntry> entries;
  for (int i = 10; i < 50; ++i) {
    files.emplace_back("f" + std::to_string(i), "x");
    entries.push_back({"f" + std::to_string(i), "x"});
  }
  write_text(tmp / "p.zip", raw_zip(entries));
  try {
    extract_package(tmp / "p.zip", tmp / "small/1.0.0", manifest_of(files));
    FAIL("expected kNoSpace");
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(e.code() == ErrorCode::kNoSpace);
    CHECK(std::string(e.what()).find("not enough space") != std::string::npos);
  }
  CHECK(stdfs::is_empty(tmp / "small"));
}

TEST_CASE("create_package leaves no archive when a listed file cannot be read", "[package]") {
  TempDir tmp;
  make_release(tmp / "build");
  const FileManifest m = FileManifest::from_directory(tmp / "build", "1.0.0");
  stdfs::remove(tmp / "build/share/big.bin");
  try {
    create_package(tmp / "build", m, tmp / "p.zip");
    FAIL("expected kFailure");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kFailure);
    CHECK(std::string(e.what()).find("cannot read " + (tmp / "build/share/big.bin").string()) != std::string::npos);
  }
  CHECK_FALSE(stdfs::exists(tmp / "p.zip"));
  CHECK_FALSE(stdfs::exists(tmp / "p.zip.tmp"));
}

TEST_CASE("create_package stores symlinks as link entries and extract_package makes them from the manifest",
          "[package][links]") {
  TempDir tmp;
  make_release(tmp / "build");
  write_text(tmp / "build/lib/libx.so.1.0", "ELF");
  stdfs::create_symlink("libx.so.1.0", tmp / "build/lib/libx.so.1");
  stdfs::create_symlink("../lib", tmp / "build/bin/lib");  // a link to a folder
  const FileManifest m = FileManifest::from_directory(tmp / "build", "1.0.0");
  create_package(tmp / "build", m, tmp / "package.zip");
  auto attrs = central_attributes(read_text(tmp / "package.zip"));
  CHECK(attrs["lib/libx.so.1"].second >> 16 == 0120777);
  CHECK(attrs["bin/lib"].second >> 16 == 0120777);
  CHECK(attrs["lib/libx.so.1.0"].second >> 16 == 0100644);

  extract_package(tmp / "package.zip", tmp / "staging/1.0.0", m);
  m.verify_directory(tmp / "staging/1.0.0", FileManifest::Depth::kFull);
  CHECK(stdfs::read_symlink(tmp / "staging/1.0.0/lib/libx.so.1") == "libx.so.1.0");
  CHECK(stdfs::read_symlink(tmp / "staging/1.0.0/bin/lib") == "../lib");
  CHECK(read_text(tmp / "staging/1.0.0/bin/lib/libx.so.1") == "ELF");  // through both links, inside the tree
}
