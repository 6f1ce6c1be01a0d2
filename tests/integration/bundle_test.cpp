// Offline bundles through the real programs: `upkeep bundle` writes one
// file, which installs with the network unreachable (a network namespace of
// its own: unshare -n) and standard input closed, through `upkeep install
// --bundle` too; damaged, truncated and foreign files are refused with exit
// code 13, a changed package inside a bundle with 5, and nothing is installed.
#include <fstream>
#include <functional>

#include "release_fixture.h"
#include "upkeep/admin/offline_bundle.h"

using namespace upkeep::test;
using upkeep::Json;

namespace {

constexpr const char* kUnshare = "/usr/bin/unshare";
constexpr const char* kUpdateUrl = "http://updates.invalid/";

// Copies of the programs a bundle carries (the build's, stripped as
// installs and bundles use them), each with a few bytes appended after the
// ELF image: they run as the build's do, and a test can tell which copy an
// install took by its size. Made once per run.
const stdfs::path& bundle_tools() {
  static TempDir dir;
  static bool made = false;
  if (!made) {
    for (const char* name : {"upkeep", "launcher", "upkeep-updater"}) {
      stdfs::copy_file(program(name), dir / name);
      std::ofstream(dir / name, std::ios::app | std::ios::binary) << "bundled copy\n";
    }
    made = true;
  }
  return dir.path();
}

struct BundleVendor {
  VendorRepo vendor;
  TempDir out;
  BundleVendor() { vendor.release(vendor.build_folder("1.0.0"), "1.0.0"); }

  std::vector<std::string> bundle_argv(const std::string& version, const stdfs::path& file) const {
    const stdfs::path& t = bundle_tools();
    return {(t / "upkeep").string(),
            "bundle",
            "--version",
            version,
            "-o",
            file.string(),
            "--repo",
            vendor.repo().string(),
            "--update-url",
            kUpdateUrl,
            "--launcher",
            (t / "launcher").string(),
            "--updater",
            (t / "upkeep-updater").string()};
  }
  stdfs::path bundle(const std::string& version = "1.0.0") {
    const stdfs::path file = out / ("demo-" + version + ".bundle");
    run_ok(bundle_argv(version, file));
    return file;
  }
};

// Installing `bundle` into `prefix` with `upkeep install --bundle`.
RunResult install_bundle(const stdfs::path& bundle, const stdfs::path& prefix,
                         const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{
      program("upkeep").string(), "install", "--bundle", bundle.string(), "--prefix", prefix.string(), "--no-shortcut"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run(argv);
}

void flip_byte(const stdfs::path& file, uint64_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

}  // namespace

TEST_CASE("bundle: one file installs with the network unreachable and standard input closed, then starts",
          "[bundle][integration]") {
  BundleVendor v;
  const stdfs::path file = v.out / "demo-1.0.0.bundle";
  RunResult made = run_ok([&] {
    auto argv = v.bundle_argv("1.0.0", file);
    argv.push_back("--json");
    return argv;
  }());
  const Json j = Json::parse(made.out, "bundle --json");
  CHECK(j.get_string("app_id") == "demo");
  CHECK(j.get_string("version") == "1.0.0");
  CHECK(j.get_string("update_url") == kUpdateUrl);
  CHECK(j.get_int("bytes") == static_cast<int64_t>(stdfs::file_size(file)));
  CHECK((stdfs::status(file).permissions() & stdfs::perms::owner_exec) != stdfs::perms::none);
  CHECK(upkeep::admin::OfflineBundle::is_bundle(file));
  CHECK_FALSE(upkeep::admin::OfflineBundle::is_bundle(program("upkeep")));

  // The namespace really has no network: the repository server is out of reach from inside it.
  RepoServerProcess server(v.vendor.repo());
  CHECK(run({"/usr/bin/curl", "-sSf", "-o", "/dev/null", server.url + "metadata/timestamp.json"}).exit_code == 0);
  CHECK(run({kUnshare, "--net", "/usr/bin/curl", "-sSf", "-o", "/dev/null", server.url + "metadata/timestamp.json"})
            .exit_code != 0);

  // Run the bundle itself, silently, as a deployment tool would.
  TempDir target;
  const stdfs::path prefix = target / "app";
  const stdfs::path log = target / "logs" / "install.log";
  const stdfs::path tmp = target / "tmp";  // the payload is unpacked under $TMPDIR
  stdfs::create_directories(tmp);
  RunResult r = run({kUnshare, "--net", file.string(), "--prefix", prefix.string(), "--silent", "--log", log.string(),
                     "--no-shortcut"},
                    {{"TMPDIR", tmp.string()}});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK(r.err.empty());
  // Unpacked under $TMPDIR (so the emptiness check below means something).
  CHECK(contains(read_text(log.parent_path() / "upkeep-install.log"), "unpacked bundle"));
  CHECK(contains(read_text(log.parent_path() / "upkeep-install.log"), "into " + (tmp / "upkeep-bundle-").string()));

  // What was installed: the version, the bundle's launcher, and config.json pointing at the update URL.
  const Json config = Json::parse(read_text(prefix / "config.json"), "config.json");
  CHECK(config.get_string("repository") == kUpdateUrl);
  CHECK(read_text(prefix / "current" / "VERSION") == "1.0.0\n");
  CHECK(stdfs::file_size(prefix / "demo") == stdfs::file_size(bundle_tools() / "launcher"));
  CHECK(stdfs::exists(prefix / "upkeep-updater"));
  CHECK(run_ok({(prefix / "demo").string(), "--version"}).out == "mainapp 1.0.0\n");
  // Nothing of the unpacked payload is left in the temporary folder.
  CHECK(stdfs::is_empty(tmp));

  // Installing again into the same place: "already installed", exit code 8.
  CHECK(run({kUnshare, "--net", file.string(), "--prefix", prefix.string(), "--silent", "--no-shortcut"}).exit_code ==
        8);
  // The bundle runs any upkeep command too: here uninstall.
  run_ok({file.string(), "uninstall", "--prefix", prefix.string()});
  CHECK_FALSE(stdfs::exists(prefix));
}

TEST_CASE("bundle: upkeep install --bundle, with a pinned root and --repo naming the update URL",
          "[bundle][integration]") {
  BundleVendor v;
  const stdfs::path file = v.bundle();
  TempDir target;

  RunResult first = install_bundle(file, target / "a", {"--json"});
  REQUIRE(first.exit_code == 0);
  CHECK(Json::parse(first.out, "install --json").get_bool("trusted_on_first_use"));
  // Not run as itself, the bundle's unsigned programs are not installed: the installed upkeep's are.
  CHECK(stdfs::file_size(target / "a" / "demo") == stdfs::file_size(program("launcher")));
  CHECK(stdfs::file_size(target / "a" / "upkeep-updater") == stdfs::file_size(program("upkeep-updater")));

  RunResult pinned = install_bundle(
      file, target / "b",
      {"--json", "--trusted-root", v.vendor.root_json().string(), "--repo", "http://mirror.example/updates"});
  REQUIRE(pinned.exit_code == 0);
  const Json j = Json::parse(pinned.out, "install --json");
  CHECK_FALSE(j.get_bool("trusted_on_first_use"));
  CHECK(j.get_string("version") == "1.0.0");
  CHECK(Json::parse(read_text(target / "b" / "config.json"), "config.json").get_string("repository") ==
        "http://mirror.example/updates/");

  // Per machine (the tests run as root), into a temporary root with every path overridden (the update timer's too).
  RunResult system =
      install_bundle(file, target / "sys", {"--system", "--json", "--systemd-dir", (target / "units").string()});
  REQUIRE(system.exit_code == 0);
  CHECK(Json::parse(read_text(target / "sys" / "install.json"), "install.json").get_string("scope") == "system");
  CHECK(stdfs::exists(target / "units" / "upkeep-demo.timer"));
  CHECK(run_ok({(target / "sys" / "demo").string(), "--version"}).out == "mainapp 1.0.0\n");

  // A root that is not the vendor's: the bundle's metadata does not verify against it.
  VendorRepo other;
  RunResult foreign = install_bundle(file, target / "c", {"--trusted-root", other.root_json().string()});
  CHECK(foreign.exit_code == 5);
  CHECK_FALSE(stdfs::exists(target / "c"));

  // Options that come from the bundle are refused rather than ignored.
  RunResult usage = install_bundle(file, target / "d", {"--version", "2.0.0"});
  CHECK(usage.exit_code == 2);
  CHECK(contains(usage.err, "--version comes from the bundle"));
}

TEST_CASE("bundle: truncated, damaged and foreign files are refused with exit code 13 and nothing is installed",
          "[bundle][integration]") {
  BundleVendor v;
  const stdfs::path file = v.bundle();
  const uint64_t size = stdfs::file_size(file);
  const uint64_t program_size = stdfs::file_size(bundle_tools() / "upkeep");
  TempDir target;

  struct Case {
    const char* name;
    std::function<void(const stdfs::path&)> damage;
    const char* error;
  };
  const std::vector<Case> cases{
      {"cut short", [&](const stdfs::path& f) { stdfs::resize_file(f, size / 2); }, "not an upkeep bundle"},
      {"last byte missing", [&](const stdfs::path& f) { stdfs::resize_file(f, size - 1); }, "not an upkeep bundle"},
      {"byte flipped in the payload", [&](const stdfs::path& f) { flip_byte(f, program_size + 200); }, "damaged"},
      {"byte flipped in bundle.json", [&](const stdfs::path& f) { flip_byte(f, size - 41); }, "bundle.json"},
      {"not a bundle", [&](const stdfs::path& f) { write_text(f, "#!/bin/sh\necho hello\n"); }, "not an upkeep bundle"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const stdfs::path bad = target / "bad.bundle";
    stdfs::copy_file(file, bad, stdfs::copy_options::overwrite_existing);
    c.damage(bad);
    const stdfs::path prefix = target / "app";
    RunResult r = install_bundle(bad, prefix, {"--silent"});
    CHECK(r.exit_code == 13);
    CHECK(contains(r.err, c.error));
    CHECK(contains(r.err, bad.string()));
    CHECK_FALSE(stdfs::exists(prefix));
  }
  CHECK(install_bundle(target / "missing.bundle", target / "app").exit_code == 9);
}

TEST_CASE("bundle: a package changed inside a bundle fails its signature check (exit 5), nothing installed",
          "[bundle][integration]") {
  BundleVendor v;
  const auto bundle = upkeep::admin::OfflineBundle::open(v.bundle());
  TempDir work;
  bundle.extract(work / "payload");
  stdfs::path package;
  for (const auto& e : stdfs::recursive_directory_iterator(work / "payload" / "targets"))
    if (e.path().filename().string().find("package.zip") != std::string::npos) package = e.path();
  REQUIRE(!package.empty());
  flip_byte(package, stdfs::file_size(package) / 2);
  // Re-assembled with a listing that matches the changed file: only the signed metadata can tell.
  const stdfs::path forged = work / "forged.bundle";
  upkeep::admin::OfflineBundle::assemble(bundle_tools() / "upkeep", work / "payload", bundle.facts(), forged);

  RunResult r = install_bundle(forged, work / "app");
  CHECK(r.exit_code == 5);
  CHECK(contains(r.err, "package.zip"));
  CHECK_FALSE(stdfs::exists(work / "app"));
}

TEST_CASE("bundle: an unknown version exits 9 and a tampered repository 5, leaving no file behind",
          "[bundle][integration]") {
  BundleVendor v;
  const stdfs::path missing = v.out / "nine.bundle";
  RunResult r = run(v.bundle_argv("9.9.9", missing));
  CHECK(r.exit_code == 9);
  CHECK(contains(r.err, "9.9.9"));
  CHECK_FALSE(stdfs::exists(missing));

  flip_byte(v.vendor.package_file("1.0.0"), 100);
  const stdfs::path tampered = v.out / "tampered.bundle";
  r = run(v.bundle_argv("1.0.0", tampered));
  CHECK(r.exit_code == 5);
  CHECK_FALSE(stdfs::exists(tampered));
  for (const auto& e : stdfs::directory_iterator(v.out.path()))
    CHECK(e.path().filename().string().find(".work") == std::string::npos);

  RunResult usage = run({program("upkeep").string(), "bundle", "--version", "1.0.0", "-o",
                         (v.out / "x.bundle").string(), "--repo", v.vendor.repo().string()});
  CHECK(usage.exit_code == 2);
  CHECK(contains(usage.err, "--update-url"));
}
