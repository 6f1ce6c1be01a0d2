// examples/python-embed: a Python app that embeds upkeep through the C ABI
// (ctypes, libupkeep.so shipped inside its release folder), end to end with
// no human: 1.0.0 released with --health confirm and installed, 2.0.0
// published; one start of 1.0.0 from its desktop entry finds, downloads and
// stages 2.0.0, restarts itself through the library, the launcher applies
// 2.0.0, and 2.0.0 confirms its healthy start (state.db: good).
#include "vendor_app.h"

using namespace upkeep::test;

namespace {

// A release folder of the example: app.py and the library beside it.
void put_app(const stdfs::path& folder) {
  stdfs::create_directories(folder);
  stdfs::copy_file(source_dir() / "examples" / "python-embed" / "app.py", folder / "app.py");
  stdfs::copy_file(program("libupkeep.so.1"), folder / "libupkeep.so");  // follows the link: one file, stripped
}

}  // namespace

TEST_CASE("examples/python-embed updates itself through the C ABI: found, staged, restarted, confirmed",
          "[examples][integration]") {
  VendorApp app;
  const std::vector<std::string> options{"--program", "app.py", "--health", "confirm"};
  put_app(app.folder("1.0.0"));
  app.release("1.0.0", options);
  PolicyDir policy;
  DesktopInstall installed(app, policy.env());
  put_app(app.folder("2.0.0"));
  app.release("2.0.0", options);

  RunResult r = installed.start({"--exit-when-current"});
  INFO("stderr:\n" << r.err << "stdout:\n" << r.out);
  CHECK(r.exit_code == 0);
  // 1.0.0: every state from its listener, the save hook, the hand-over.
  CHECK(contains(r.out, "python-embed app 1.0.0 running\n"));
  CHECK(contains(r.out, "update state: checking\n"));
  CHECK(contains(r.out, "update state: downloading 2.0.0: 0 of "));
  CHECK(contains(r.out, "update state: verifying 2.0.0\n"));
  CHECK(contains(r.out, "update state: staged 2.0.0\n"));
  CHECK(contains(r.out, "update state: staged 2.0.0, prompt ask\n"));
  CHECK(contains(r.out, "saving the work before the restart\n"));
  CHECK(contains(r.out, "update state: restarting 2.0.0\n"));
  // 2.0.0, started by the launcher after 1.0.0 exited: on trial, confirmed, up to date.
  CHECK(contains(r.out, "python-embed app 2.0.0 running\nhealthy start confirmed\n"));
  CHECK(contains(r.out, "update state: up_to_date\n"));
  CHECK(installed.state_of("2.0.0") == "good");
  CHECK(installed.state_of("1.0.0") == "good");
}

TEST_CASE("examples/python-embed in a per-machine install, run by a user who cannot write it, says who updates it",
          "[examples][system][integration]") {
  REQUIRE(geteuid() == 0);  // the test machines run the suite as root
  VendorApp app;
  const std::vector<std::string> options{"--program", "app.py", "--health", "confirm"};
  put_app(app.folder("1.0.0"));
  app.release("1.0.0", options);
  put_app(app.folder("2.0.0"));
  app.release("2.0.0", options);
  TempDir sys;  // stands for /, traversable by the user
  stdfs::permissions(sys.path(), stdfs::perms::owner_all | stdfs::perms::group_exec | stdfs::perms::others_exec);
  const InstallAnswer answer =
      InstallAnswer::run({program("upkeep").string(), "install", "--system", "--json", "--version", "1.0.0", "--repo",
                          app.server.url, "--trusted-root", app.vendor.root_json().string(), "--prefix",
                          (sys / "opt" / "demo").string(), "--applications-dir", (sys / "apps").string(), "--icons-dir",
                          (sys / "icons").string(), "--systemd-dir", (sys / "units").string()},
                         {});
  const stdfs::path home = sys / "home" / "nobody";
  stdfs::create_directories(home);
  REQUIRE(chown(home.c_str(), 65534, 65534) == 0);
  std::vector<std::string> argv = desktop_exec_argv(answer.desktop_entry);
  argv.push_back("--exit-when-current");
  RunResult r = run(as_nobody(argv), {{"HOME", home.string()}});
  INFO("stderr:\n" << r.err << "stdout:\n" << r.out);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "python-embed app 1.0.0 running\n"));
  // Not a failure: the machine's updater (root) stages and applies for every user.
  CHECK(contains(r.out, "update state: updates_off: this install is updated for every user by the machine's updater"));
  CHECK_FALSE(contains(r.out + r.err, "readonly database"));
  CHECK(version_state(answer.root / "demo", "2.0.0").empty());  // nothing staged by the user
}
