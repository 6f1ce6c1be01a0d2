// Symlinks inside a version (issue #15, item 8) through the real programs: a
// C program built here with `cc`, linked to a private shared library through
// lib/libx.so.1 -> libx.so.1.0 and an $ORIGIN rpath, is released with
// `upkeep release --program`, installed with `upkeep install`, updated by a
// delta from a version whose link points elsewhere, and repaired; its links
// are made again on each machine and the program runs from its version
// folder. A package whose signed bytes carry a link the manifest does not
// sign is refused, and nothing reaches versions/.
#include <set>

#include "invariants.h"
#include "release_fixture.h"
#include "upkeep/base/hash.h"
#include "upkeep/install/launch_spec.h"
#include "upkeep/install/manifest.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/publish/repository_publisher.h"
#include "upkeep/repository/repository_layout.h"
#include "upkeep/update/package.h"

using namespace upkeep::test;
using upkeep::FileManifest;
using upkeep::LaunchSpec;

namespace {

const char* kLibSource = "int libx_version(void) { return LIBX_VERSION; }\n";
// Identical in every release: only the library it loads changes.
const char* kMainSource =
    "#include <stdio.h>\n"
    "int libx_version(void);\n"
    "int main(void) { printf(\"hello from libx %d\\n\", libx_version()); return 0; }\n";

// A vendor's build folder: bin/hello, linked against lib/libx.so (-> libx.so.1
// -> libx.so.<so_version>) and finding it at run time through
// $ORIGIN/../lib, plus VERSION; the release declares bin/hello.
stdfs::path build_folder(const VendorRepo& vendor, const std::string& version, int libx,
                         const std::string& so_version) {
  const stdfs::path src = vendor.dir() / ("src-" + version);
  const stdfs::path d = vendor.dir() / ("build-" + version);
  write_text(src / "libx.c", kLibSource);
  write_text(src / "main.c", kMainSource);
  stdfs::create_directories(d / "lib");
  stdfs::create_directories(d / "bin");
  const std::string real = "libx.so." + so_version;
  run_ok({"/usr/bin/cc", "-shared", "-fPIC", "-DLIBX_VERSION=" + std::to_string(libx), "-Wl,-soname,libx.so.1", "-o",
          (d / "lib" / real).string(), (src / "libx.c").string()});
  stdfs::create_symlink(real, d / "lib" / "libx.so.1");
  stdfs::create_symlink("libx.so.1", d / "lib" / "libx.so");  // the link the linker uses: a chain
  run_ok({"/usr/bin/cc", "-o", (d / "bin" / "hello").string(), (src / "main.c").string(), "-L" + (d / "lib").string(),
          "-lx", "-Wl,-rpath,$ORIGIN/../lib"});
  write_text(d / "VERSION", version + "\n");
  return d;
}

const std::vector<std::string> kDeclare{"--program", "bin/hello", "--health", "exit"};

// The signed manifest an install keeps for `version`, checked against its folder byte for byte.
FileManifest verified(const Installed& app, const std::string& version, const stdfs::path& dir) {
  const stdfs::path file = app.prefix() / "manifests" / (version + ".json");
  FileManifest m = FileManifest::parse(read_text(file), file.string());
  m.verify_directory(dir, FileManifest::Depth::kFull);
  return m;
}

std::string run_hello(const stdfs::path& version_dir) { return run_ok({(version_dir / "bin" / "hello").string()}).out; }

}  // namespace

TEST_CASE("a C program linked through lib/libx.so.1 -> libx.so.1.0 installs with its links and runs from its folder",
          "[links][integration]") {
  VendorRepo vendor;
  const stdfs::path build = build_folder(vendor, "1.0.0", 1, "1.0");
  REQUIRE(run_hello(build) == "hello from libx 1\n");
  vendor.release(build, "1.0.0", "", kDeclare);
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");

  const stdfs::path v = app.prefix() / "versions" / "1.0.0";
  CHECK(stdfs::is_symlink(v / "lib" / "libx.so.1"));
  CHECK(stdfs::read_symlink(v / "lib" / "libx.so.1") == "libx.so.1.0");
  CHECK(stdfs::read_symlink(v / "lib" / "libx.so") == "libx.so.1");
  const FileManifest m = verified(app, "1.0.0", v);
  CHECK(m.find("lib/libx.so.1")->link == "libx.so.1.0");
  CHECK(LaunchSpec::read(app.prefix() / "manifests" / "1.0.0.launch.json") ==
        LaunchSpec{"bin/hello", {}, upkeep::HealthRule::parse("exit")});
  CHECK(run_hello(v) == "hello from libx 1\n");  // the loader follows the recreated link through $ORIGIN

  SECTION("repair makes a removed or replaced link, and the launch file, again") {
    stdfs::remove(v / "lib" / "libx.so.1");
    stdfs::copy_file(v / "lib" / "libx.so.1.0", v / "lib" / "libx.so.1");  // a copy where the link was
    stdfs::remove(v / "lib" / "libx.so");
    stdfs::create_symlink("/usr/lib/libx.so", v / "lib" / "libx.so");  // pointing out of the folder
    stdfs::remove(app.prefix() / "manifests" / "1.0.0.launch.json");
    RunResult r = run_ok({program("upkeep").string(), "repair", "--prefix", app.prefix().string(), "--json"});
    upkeep::Json j = upkeep::Json::parse(r.out, "repair --json");
    CHECK(j.get_bool("launch_restored"));
    std::set<std::string> restored;
    for (const auto& n : j.get_array("restored")) restored.insert(n.as_string());
    CHECK(restored == std::set<std::string>{"lib/libx.so", "lib/libx.so.1"});
    verified(app, "1.0.0", v);
    CHECK(stdfs::read_symlink(v / "lib" / "libx.so") == "libx.so.1");
    CHECK(LaunchSpec::read(app.prefix() / "manifests" / "1.0.0.launch.json")->program == "bin/hello");
    CHECK(run_hello(v) == "hello from libx 1\n");
  }
}

TEST_CASE("a delta update to a version whose link points elsewhere makes the new link and runs the new library",
          "[links][delta][integration]") {
  VendorRepo vendor;
  vendor.deltas = true;
  vendor.release(build_folder(vendor, "1.0.0", 1, "1.0"), "1.0.0", "", kDeclare);
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");
  vendor.release(build_folder(vendor, "2.0.0", 2, "1.1"), "2.0.0", "", kDeclare);

  // The updater stages 2.0.0 from 1.0.0's files and the pieces it lacks.
  run_ok({(app.prefix() / "upkeep-updater").string(), "--root", app.prefix().string(), "--quiet"});
  const std::string log = read_text(app.prefix() / "logs" / "updater.log");
  CHECK(contains(log, "rebuilt 2.0.0 from"));
  CHECK_FALSE(contains(log, "downloaded 2.0.0.package.zip"));
  CHECK(stdfs::read_symlink(app.prefix() / "staging" / "2.0.0" / "lib" / "libx.so.1") == "libx.so.1.1");

  // The launcher applies it (its trial runs the program, which exits 0) and keeps 1.0.0 as previous.
  CHECK(run_ok({app.launcher().string()}).out == "hello from libx 2\n");
  CHECK(app.current() == "versions/2.0.0");
  const stdfs::path v2 = app.prefix() / "versions" / "2.0.0";
  CHECK(stdfs::read_symlink(v2 / "lib" / "libx.so.1") == "libx.so.1.1");
  CHECK_FALSE(stdfs::exists(v2 / "lib" / "libx.so.1.0"));
  verified(app, "2.0.0", v2);
  verified(app, "1.0.0", app.prefix() / "versions" / "1.0.0");  // the old version, untouched
  CHECK(LaunchSpec::read(app.prefix() / "manifests" / "2.0.0.launch.json")->program == "bin/hello");
  CHECK(run_hello(v2) == "hello from libx 2\n");
  CHECK(run_hello(app.prefix() / "versions" / "1.0.0") == "hello from libx 1\n");
  auto problems = check_invariants(app.prefix(), {{"2.0.0"}, true, true});
  INFO(problems.size());
  CHECK(problems.empty());
}

TEST_CASE("a signed package whose archive holds a link the manifest does not sign is refused, nothing in versions/",
          "[links][integration]") {
  VendorRepo vendor;
  const stdfs::path build = build_folder(vendor, "1.0.0", 1, "1.0");
  vendor.release(build, "1.0.0", "", kDeclare);

  // The same folder with one link changed, zipped as a package would be.
  const stdfs::path hostile = vendor.dir() / "hostile";
  stdfs::copy(build, hostile, stdfs::copy_options::recursive | stdfs::copy_options::copy_symlinks);
  std::string expected;
  SECTION("a link pointing elsewhere") {
    stdfs::remove(hostile / "lib" / "libx.so.1");
    stdfs::create_symlink("../VERSION", hostile / "lib" / "libx.so.1");
    expected = "entry 'lib/libx.so.1' has size 10 in the archive, the manifest says 11";
  }
  SECTION("a link the manifest does not list") {
    stdfs::create_symlink("../bin/hello", hostile / "lib" / "extra");
    expected = "entry 'lib/extra' is a symlink not listed in the manifest";
  }
  const stdfs::path zip = vendor.dir() / "hostile.zip";
  upkeep::create_package(hostile, FileManifest::from_directory(hostile, "1.0.0"), zip);

  // Signed as the release's package (an insider, or a build system gone wrong): only the files.json check is left.
  upkeep::publish::KeyStore keys = upkeep::publish::KeyStore::open(vendor.keys());
  upkeep::publish::RepositoryPublisher publisher(vendor.repo(), keys);
  upkeep::tuf::TargetsMetadata targets = publisher.current_targets();
  upkeep::tuf::TargetFile& package = targets.targets.at("demo/1.0.0/linux-x86_64/package.zip");
  package.length = stdfs::file_size(zip);
  package.hashes["sha256"] = upkeep::hash_file_hex(zip);
  stdfs::copy_file(zip, vendor.package_file("1.0.0").parent_path() /
                            upkeep::RepositoryLayout::consistent_name("package.zip", package.sha256()));
  publisher.commit_targets(targets);

  RepoServerProcess server(vendor.repo());
  TempDir dir;
  const stdfs::path prefix = dir / "app";
  RunResult r = run({program("upkeep").string(), "install", "--repo", server.url, "--prefix", prefix.string(),
                     "--version", "1.0.0", "--trusted-root", vendor.root_json().string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == static_cast<int>(upkeep::ErrorCode::kVerification));
  CHECK(contains(r.err, expected));
  CHECK((!stdfs::exists(prefix / "versions") || stdfs::is_empty(prefix / "versions")));
  CHECK((!stdfs::exists(prefix / "staging" / "1.0.0") && !stdfs::exists(prefix / "staging" / "1.0.0.tmp-extract")));
}
