// ZipWriter (zip_writer.h): archives that our extraction (Poco's reader and
// our central directory reader), Info-ZIP's unzip and Python's zipfile all
// read back, in plain and zip64 form, whole-file (libdeflate) and streamed
// (zlib) entries alike.
#include "upkeep/update/zip_writer.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "expect_error.h"
#include "test_support.h"
#include "unit/delta/delta_test_data.h"
#include "upkeep/install/manifest.h"
#include "upkeep/update/package.h"
#include "upkeep/update/zip_directory.h"

using namespace upkeep::test;
using upkeep::ErrorCode;
using upkeep::FileManifest;
using upkeep::test::delta_data::random_bytes;
namespace zip = upkeep::zip;

namespace {

// A build folder of every kind of entry: text, an empty file, an
// executable, a link, and a file past kWholeFileDeflateMax (a hole with
// noise at both ends, cheap to write and to deflate) that streams.
void make_folder(const stdfs::path& dir) {
  write_text(dir / "a.txt", "hello hello hello\n");
  write_text(dir / "empty", "");
  for (const char* name : {"a.txt", "empty"}) stdfs::permissions(dir / name, static_cast<stdfs::perms>(0644));
  write_text(dir / "bin/tool", "#!/bin/sh\necho tool\n");
  stdfs::permissions(dir / "bin/tool", static_cast<stdfs::perms>(0755));
  stdfs::create_symlink("../a.txt", dir / "bin/link");
  write_text(dir / "big.bin", "");
  stdfs::resize_file(dir / "big.bin", zip::kWholeFileDeflateMax + (1 << 20));
  std::fstream f(dir / "big.bin", std::ios::in | std::ios::out | std::ios::binary);
  const std::string noise = random_bytes(1 << 16, 3);
  f.write(noise.data(), static_cast<std::streamsize>(noise.size()));
  f.seekp(static_cast<std::streamoff>(zip::kWholeFileDeflateMax));
  f.write(noise.data(), static_cast<std::streamsize>(noise.size()));
  stdfs::permissions(dir / "big.bin", static_cast<stdfs::perms>(0644));
}

void write_zip(const stdfs::path& dir, const FileManifest& m, const stdfs::path& out, bool zip64) {
  zip::ZipWriter w(out, 6);
  if (zip64) w.force_zip64();
  for (const auto& f : m.files()) {
    if (f.is_link())
      w.add_link(f.path, f.link);
    else
      w.add_file(f.path, dir / f.path, f.mode);
  }
  w.finish();
}

}  // namespace

TEST_CASE("zip archives read back by our extraction, unzip and Python, plain and zip64", "[package]") {
  TempDir tmp;
  make_folder(tmp / "build");
  const FileManifest m = FileManifest::from_directory(tmp / "build", "1.0.0");
  const bool zip64 = GENERATE(false, true);
  INFO("zip64 " << zip64);
  write_zip(tmp / "build", m, tmp / "p.zip", zip64);

  // Our own reader: every entry, its Unix type and mode, and the zip64 fields when forced.
  zip::ZipFile file(tmp / "p.zip");
  const zip::CentralDirectory cd = zip::read_central_directory(file);
  REQUIRE(cd.entries.size() == m.files().size());
  for (const auto& e : cd.entries) {
    CHECK(e.made_by >> 8 == zip::kUnixHost);
    if (e.name == "bin/tool") CHECK(e.external >> 16 == (zip::kTypeRegular | 0755));
    if (e.name == "bin/link") CHECK(e.external >> 16 == (zip::kTypeSymlink | 0777));
    if (e.name == "big.bin") CHECK(e.uncompressed == zip::kWholeFileDeflateMax + (1 << 20));
  }
  const std::string bytes = read_text(tmp / "p.zip");
  CHECK((bytes.find(std::string("PK\x06\x06", 4)) != std::string::npos) == zip64);  // zip64 end record

  // The package extraction (Poco's reader beside ours) checks every size and SHA-256 against the manifest.
  upkeep::extract_package(tmp / "p.zip", tmp / "out", m);
  m.verify_directory(tmp / "out", FileManifest::Depth::kFull);
  CHECK(stdfs::read_symlink(tmp / "out/bin/link") == "../a.txt");

  // Two independent readers: Info-ZIP's test of every CRC, Python's zipfile of contents and modes.
  const RunResult t = run({"/usr/bin/unzip", "-t", (tmp / "p.zip").string()});
  INFO(t.out << t.err);
  CHECK(t.exit_code == 0);
  CHECK(t.out.find("No errors detected") != std::string::npos);
  const RunResult py = run({"/usr/bin/python3", "-c",
                            "import sys, zipfile\n"
                            "z = zipfile.ZipFile(sys.argv[1])\n"
                            "assert z.testzip() is None\n"
                            "for i in z.infolist(): print(i.filename, oct(i.external_attr >> 16), i.file_size)\n",
                            (tmp / "p.zip").string()});
  INFO(py.err);
  CHECK(py.exit_code == 0);
  CHECK(py.out ==
        "a.txt 0o100644 18\n"
        "big.bin 0o100644 " +
            std::to_string(zip::kWholeFileDeflateMax + (1 << 20)) +
            "\n"
            "bin/link 0o120777 8\n"
            "bin/tool 0o100755 20\n"
            "empty 0o100644 0\n");

  // The same entries always give the same bytes.
  write_zip(tmp / "build", m, tmp / "again.zip", zip64);
  CHECK(read_text(tmp / "again.zip") == bytes);
}

TEST_CASE("ZipWriter refuses a deflate level outside 1-9 and names a file it cannot read", "[package]") {
  TempDir tmp;
  for (int level : {0, 10}) error_of([&] { zip::ZipWriter(tmp / "p.zip", level); }, ErrorCode::kUsage);
  CHECK_FALSE(stdfs::exists(tmp / "p.zip"));
  zip::ZipWriter w(tmp / "p.zip", 6);
  const std::string msg = error_of([&] { w.add_file("gone", tmp / "gone", 0644); }, ErrorCode::kFailure);
  CHECK(msg.find("cannot read " + (tmp / "gone").string()) != std::string::npos);
}
