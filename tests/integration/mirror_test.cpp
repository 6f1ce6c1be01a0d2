// An internal mirror through the real programs: `upkeep mirror` copies a
// repository served by `upkeep serve`, a second `upkeep serve` hosts the
// mirror, and a client installs and updates from it; files tampered with in
// the mirror are refused by the client, a tampered source by the mirror.
#include "release_fixture.h"

using namespace upkeep::test;

namespace {

void flip_byte(const stdfs::path& file) {
  std::string bytes = read_text(file);
  bytes[bytes.size() / 2] ^= 0x01;
  write_text(file, bytes);
}

// The file in `dir` whose name ends with `suffix` (one of a release's targets).
stdfs::path file_ending(const stdfs::path& dir, const std::string& suffix) {
  for (const auto& e : stdfs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      return e.path();
  }
  throw std::runtime_error("no *" + suffix + " in " + dir.string());
}

struct Mirror {
  Mirror(const std::string& source_url, const stdfs::path& root_json)
      : argv{program("upkeep").string(), "mirror",           source_url, (tmp / "mirror").string(),
             "--trusted-root",           root_json.string(), "--json"} {}
  upkeep::Json run_ok() const {
    RunResult r = upkeep::test::run_ok(argv);
    return upkeep::Json::parse(r.out, "upkeep mirror --json");
  }
  RunResult run() const { return upkeep::test::run(argv); }
  stdfs::path dir() const { return tmp / "mirror"; }
  stdfs::path release_dir(const std::string& version) const {
    return dir() / "targets" / "demo" / version / "linux-x86_64";
  }
  TempDir tmp;
  std::vector<std::string> argv;
};

// mainapp's background check through the launcher, answering the restart prompt.
RunResult check(const Installed& app) {
  RunResult r = run({app.launcher().string(), "--exit-after-check", "--ui", "terminal"}, {}, std::string("y\n"));
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  return r;
}

}  // namespace

TEST_CASE("a client installs and updates from a mirror and refuses mirrored files that were changed",
          "[mirror][integration]") {
  VendorRepo vendor;
  vendor.deltas = true;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  RepoServerProcess source(vendor.repo());
  Mirror mirror(source.url, vendor.root_json());

  upkeep::Json first = mirror.run_ok();
  CHECK(first.get_int("files") > 6);  // 2 x (package, files.json, delta.zst) + blobs (+ patches)
  CHECK(first.get_int("fetched") == first.get_int("files"));
  CHECK(first.get_int("bytes_fetched") == first.get_int("bytes_total"));
  upkeep::Json again = mirror.run_ok();
  CHECK(again.get_int("fetched") == 0);
  CHECK(again.get_int("bytes_fetched") == 0);
  CHECK(again.get_int("metadata_written") == 0);

  // Clients point at the mirror (config.json's repository) and still verify every signature.
  RepoServerProcess mirror_server(mirror.dir());
  Installed app(mirror_server.url, vendor.root_json(), "1.0.0");
  CHECK(contains(read_text(app.prefix() / "config.json"), mirror_server.url));
  {
    RunResult r = check(app);
    CHECK(contains(r.out, "found version 2.0.0"));
    CHECK(contains(r.out, "mainapp 2.0.0 running"));
  }
  REQUIRE(app.current() == "versions/2.0.0");

  // 3.0.0 is mirrored incrementally: only its own files come over.
  vendor.release(vendor.build_folder("3.0.0"), "3.0.0");
  upkeep::Json third = mirror.run_ok();
  CHECK(third.get_int("fetched") >= 3);
  CHECK(third.get_int("present") == first.get_int("files"));
  CHECK(third.get_int("bytes_fetched") < third.get_int("bytes_total"));

  // One byte changed in the mirrored package and delta bundle of 3.0.0: refused, 2.0.0 keeps working.
  flip_byte(file_ending(mirror.release_dir("3.0.0"), ".package.zip"));
  flip_byte(file_ending(mirror.release_dir("3.0.0"), ".delta.zst"));
  {
    RunResult r = check(app);
    CHECK(contains(r.out, "found version 3.0.0"));
    CHECK(contains(r.out, "update failed"));
    CHECK(contains(r.out, "SHA-256"));
    CHECK(contains(r.out, "package.zip"));
    CHECK_FALSE(contains(r.out, "Restart to update"));
  }
  CHECK(app.current() == "versions/2.0.0");
  CHECK(run_ok({app.launcher().string(), "--version"}).out == "mainapp 2.0.0\n");
  // A mirror run puts the right bytes back (only the two changed files).
  CHECK(mirror.run_ok().get_int("fetched") == 2);

  // One byte changed in the mirror's newest targets metadata: refused before any release is chosen.
  vendor.release(vendor.build_folder("4.0.0"), "4.0.0");
  upkeep::Json fourth = mirror.run_ok();
  const auto targets_md =
      mirror.dir() / "metadata" / (std::to_string(fourth.get_int("targets_version")) + ".targets.json");
  REQUIRE(stdfs::exists(targets_md));
  flip_byte(targets_md);
  {
    RunResult r = check(app);
    CHECK(contains(r.out, "update failed"));
    CHECK(contains(r.out, "targets.json"));
    CHECK_FALSE(contains(r.out, "found version"));
  }
  CHECK(run_ok({app.launcher().string(), "--version"}).out == "mainapp 2.0.0\n");
  CHECK(mirror.run_ok().get_int("metadata_written") == 1);
  {
    RunResult r = check(app);
    CHECK(contains(r.out, "found version 4.0.0"));
    CHECK(contains(r.out, "mainapp 4.0.0 running"));
  }
  CHECK(app.current() == "versions/4.0.0");
}

TEST_CASE("upkeep mirror of a source serving a tampered file fails naming it and leaves nothing half-done",
          "[mirror][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  RepoServerProcess source(vendor.repo());
  Mirror mirror(source.url, vendor.root_json());
  mirror.run_ok();
  const std::string timestamp_before = read_text(mirror.dir() / "metadata" / "timestamp.json");

  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  const stdfs::path package = vendor.package_file("2.0.0");
  flip_byte(package);
  RunResult r = mirror.run();
  CHECK(r.exit_code == 5);
  CHECK(contains(r.err, "target demo/2.0.0/linux-x86_64/" + package.filename().string()));
  CHECK(contains(r.err, "SHA-256"));
  // Nothing under its final name, no partial download, and the mirror's
  // metadata still describes 1.0.0 only (its clients see a consistent repository).
  CHECK_FALSE(stdfs::exists(mirror.release_dir("2.0.0") / package.filename()));
  for (const auto& e : stdfs::recursive_directory_iterator(mirror.dir()))
    CHECK_FALSE(contains(e.path().filename().string(), ".part"));
  CHECK(read_text(mirror.dir() / "metadata" / "timestamp.json") == timestamp_before);

  // A client of the mirror still gets a verified, working 1.0.0.
  RepoServerProcess mirror_server(mirror.dir());
  Installed app(mirror_server.url, vendor.root_json(), "1.0.0");
  CHECK(run_ok({app.launcher().string(), "--version"}).out == "mainapp 1.0.0\n");

  // Tampered metadata at the source: refused, exit 5, naming the file.
  flip_byte(vendor.repo() / "metadata" / "timestamp.json");
  r = mirror.run();
  CHECK(r.exit_code == 5);
  CHECK(contains(r.err, "timestamp.json"));
  CHECK(read_text(mirror.dir() / "metadata" / "timestamp.json") == timestamp_before);
}
