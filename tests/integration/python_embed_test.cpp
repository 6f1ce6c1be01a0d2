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
  stdfs::copy_file(program("libupkeep.so.1"), folder / "libupkeep.so");             // follows the link: one file
  run_ok({"/usr/bin/strip", "--strip-debug", (folder / "libupkeep.so").string()});  // as a vendor ships it
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
