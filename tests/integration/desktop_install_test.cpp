// Per-user and per-machine installs with their desktop shortcut, checked by
// the real desktop-file-validate, uninstall (twice, with and without
// --purge) and silent mode, through the real `upkeep` binary.
#include <zlib.h>

#include "release_fixture.h"

using namespace upkeep::test;

namespace {

// A real square PNG (RGB, one colour) of `size` pixels, made with zlib.
std::string png_icon(uint32_t size) {
  auto be32 = [](uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
  auto chunk = [&](const std::string& type, const std::string& data) {
    std::string body = type + data;
    const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
    return be32(static_cast<uint32_t>(data.size())) + body + be32(static_cast<uint32_t>(crc));
  };
  std::string raw;
  for (uint32_t y = 0; y < size; ++y) {
    raw += '\0';  // filter: none
    for (uint32_t x = 0; x < size; ++x) raw += std::string{char(0x20), char(0x80), char(0xc0)};
  }
  uLongf n = compressBound(static_cast<uLong>(raw.size()));
  std::string z(n, '\0');
  REQUIRE(compress(reinterpret_cast<Bytef*>(z.data()), &n, reinterpret_cast<const Bytef*>(raw.data()),
                   static_cast<uLong>(raw.size())) == Z_OK);
  z.resize(n);
  const std::string ihdr = be32(size) + be32(size) + std::string{char(8), char(2), char(0), char(0), char(0)};
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", z) + chunk("IEND", "");
}

// A vendor repository whose releases carry shortcut metadata and an icon.
struct DesktopVendor {
  VendorRepo vendor;
  std::string icon = png_icon(48);
  void release(const std::string& version) {
    stdfs::path d = vendor.build_folder(version);
    write_text(d / "share" / "icons" / "demo.png", icon);
    vendor.release(d, version, "",
                   {"--name", "Demo App", "--comment", "Shows what upkeep does", "--icon", "share/icons/demo.png",
                    "--category", "Development", "--category", "IDE"});
  }
};

RunResult validate(const stdfs::path& entry) { return run({"/usr/bin/desktop-file-validate", entry.string()}); }

std::vector<std::string> upkeep_cmd(std::initializer_list<std::string> args) {
  std::vector<std::string> v{program("upkeep").string()};
  v.insert(v.end(), args);
  return v;
}

}  // namespace

TEST_CASE("a per-user install follows XDG, with a valid shortcut and hicolor icon that updates leave alone",
          "[install][desktop][integration]") {
  DesktopVendor v;
  v.release("1.0.0");
  RepoServerProcess server(v.vendor.repo());
  FreshHome home;
  run_ok(upkeep_cmd({"install", "--repo", server.url, "--trusted-root", v.vendor.root_json().string()}), home.env());

  const stdfs::path root = home.data() / "upkeep" / "demo";
  const stdfs::path entry = home.data() / "applications" / "demo.desktop";
  const stdfs::path icon = home.data() / "icons" / "hicolor" / "48x48" / "apps" / "demo.png";
  REQUIRE(stdfs::exists(root / "demo"));
  REQUIRE(stdfs::exists(entry));
  RunResult valid = validate(entry);
  INFO(valid.out << valid.err);
  CHECK(valid.exit_code == 0);
  CHECK(valid.out.empty());  // no warnings or hints either
  const std::string text = read_text(entry);
  CHECK(contains(text, "Name=Demo App\n"));
  CHECK(contains(text, "Comment=Shows what upkeep does\n"));
  CHECK(contains(text, "Exec=\"" + (root / "demo").string() + "\"\n"));
  CHECK(contains(text, "Icon=demo\n"));
  CHECK(contains(text, "Categories=Development;IDE;\n"));
  CHECK(read_text(icon) == v.icon);
  CHECK((stdfs::status(entry).permissions() & stdfs::perms::all) == static_cast<stdfs::perms>(0644));

  // An update through the real updater and launcher: the shortcut is not touched and still starts the new version.
  v.release("2.0.0");
  const auto entry_time = stdfs::last_write_time(entry);
  run_ok({(root / "upkeep-updater").string(), "--root", root.string()}, home.env());
  CHECK(run_ok({(root / "demo").string(), "--version"}, home.env()).out == "mainapp 2.0.0\n");
  CHECK(read_text(entry) == text);
  CHECK(stdfs::last_write_time(entry) == entry_time);
}

TEST_CASE("uninstall removes the root, shortcut and icon, keeps user data unless --purge, and is safe twice",
          "[install][desktop][integration]") {
  DesktopVendor v;
  v.release("1.0.0");
  RepoServerProcess server(v.vendor.repo());
  FreshHome home;
  const stdfs::path settings = home.dir / ".config" / "demo" / "settings.ini";
  const stdfs::path cache = home.dir / ".cache" / "demo" / "thumbs";

  for (bool purge : {false, true}) {
    CAPTURE(purge);
    run_ok(upkeep_cmd({"install", "--repo", server.url, "--trusted-root", v.vendor.root_json().string()}), home.env());
    write_text(settings, "theme=dark\n");
    write_text(cache, "x");
    auto cmd = upkeep_cmd({"uninstall", "--app-id", "demo", "--json"});
    if (purge) cmd.push_back("--purge");
    auto j = upkeep::Json::parse(run_ok(cmd, home.env()).out, "uninstall --json");
    CHECK(j.get_bool("removed"));
    CHECK_FALSE(stdfs::exists(home.data() / "upkeep" / "demo"));
    CHECK_FALSE(stdfs::exists(home.data() / "applications" / "demo.desktop"));
    CHECK_FALSE(stdfs::exists(home.data() / "icons" / "hicolor" / "48x48" / "apps" / "demo.png"));
    CHECK(stdfs::exists(settings) == !purge);
    CHECK(stdfs::exists(cache) == !purge);
    CHECK(j.get_array("purged").size() == (purge ? 2u : 0u));  // the folders that existed: config and cache

    // Again: nothing there, still success.
    RunResult again = run_ok(upkeep_cmd({"uninstall", "--app-id", "demo"}), home.env());
    CHECK(contains(again.out, "nothing installed"));
  }
}

TEST_CASE("a per-machine install goes to /opt and /usr/share, every path overridable, and needs root",
          "[install][desktop][integration]") {
  DesktopVendor v;
  v.release("1.0.0");
  RepoServerProcess server(v.vendor.repo());
  TempDir sysroot;  // stands for /
  const stdfs::path root = sysroot / "opt" / "demo";
  const stdfs::path apps = sysroot / "usr" / "share" / "applications";
  const stdfs::path icons = sysroot / "usr" / "share" / "icons";
  const stdfs::path units = sysroot / "etc" / "systemd" / "system";
  auto cmd = upkeep_cmd({"install", "--system", "--repo", server.url, "--trusted-root", v.vendor.root_json().string(),
                         "--prefix", root.string(), "--applications-dir", apps.string(), "--icons-dir", icons.string(),
                         "--systemd-dir", units.string(), "--json"});

  SECTION("as root") {
    REQUIRE(geteuid() == 0);  // the test machines run the suite as root
    auto j = upkeep::Json::parse(run_ok(cmd).out, "install --json");
    CHECK(j.get_string("desktop_entry") == (apps / "demo.desktop").string());
    CHECK(validate(apps / "demo.desktop").exit_code == 0);
    CHECK(stdfs::exists(icons / "hicolor" / "48x48" / "apps" / "demo.png"));
    CHECK(contains(read_text(root / "install.json"), "\"system\""));
    CHECK(stdfs::exists(units / "upkeep-demo.timer"));
    run_ok(upkeep_cmd({"uninstall", "--prefix", root.string()}));
    CHECK_FALSE(stdfs::exists(apps / "demo.desktop"));
    CHECK_FALSE(stdfs::exists(units / "upkeep-demo.timer"));
    CHECK_FALSE(stdfs::exists(root));
  }
  SECTION("as an ordinary user: a clear error, exit code 12, nothing written") {
    std::vector<std::string> as_nobody = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
    as_nobody.insert(as_nobody.end(), cmd.begin(), cmd.end());
    RunResult r = run(as_nobody, {{"HOME", sysroot.path().string()}});
    INFO(r.err);
    CHECK(r.exit_code == 12);
    CHECK(contains(r.err, "needs administrator rights"));
    CHECK_FALSE(stdfs::exists(root));
    CHECK_FALSE(stdfs::exists(apps));
  }
}

TEST_CASE("silent install with standard input closed prints nothing and logs to the file it was given",
          "[install][desktop][integration]") {
  DesktopVendor v;
  v.release("1.0.0");
  RepoServerProcess server(v.vendor.repo());
  FreshHome home;
  const stdfs::path log = home.dir / "logs" / "install.log";
  RunResult r = run_ok(upkeep_cmd({"install", "--silent", "--log", log.string(), "--repo", server.url, "--trusted-root",
                                   v.vendor.root_json().string()}),
                       home.env());
  CHECK(r.out.empty());
  CHECK(r.err.empty());
  REQUIRE(stdfs::exists(home.dir / "logs" / "upkeep-install.log"));
  CHECK(contains(read_text(home.dir / "logs" / "upkeep-install.log"), "staged 1.0.0"));

  // A failure in silent mode: only the exit code and one error line.
  RunResult again = run(upkeep_cmd({"install", "--silent", "--log", log.string(), "--repo", server.url,
                                    "--trusted-root", v.vendor.root_json().string()}),
                        home.env());
  CHECK(again.exit_code == 8);  // already installed
  CHECK(again.out.empty());
}

TEST_CASE("a release with a bad icon or category is refused at release time", "[install][desktop][integration]") {
  VendorRepo vendor;
  stdfs::path d = vendor.build_folder("1.0.0");
  write_text(d / "icon.png", png_icon(50));
  write_text(d / "icon.txt", "not an image");
  struct Case {
    std::vector<std::string> args;
    std::string expect;
  };
  for (const Case& c :
       {Case{{"--icon", "icon.png"}, "expected a square one of"},
        Case{{"--icon", "icon.txt"}, "neither a PNG nor an SVG"},
        Case{{"--icon", "missing.png"}, "cannot read the icon"}, Case{{"--category", "Fun Stuff"}, "not a plain word"},
        Case{{"--category", "Amusement"}, "main category"}, Case{{"--name", "two\nlines"}, "control character"}}) {
    std::vector<std::string> argv = upkeep_cmd({"release", d.string(), "--version", "1.0.0", "--keys",
                                                vendor.keys().string(), "--repo", vendor.repo().string()});
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    RunResult r = run(argv);
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK(contains(r.err, c.expect));
  }
  CHECK_FALSE(stdfs::exists(vendor.repo() / "targets" / "demo" / "1.0.0"));
}
