// The examples of docs/integration.md (examples/shell, examples/python,
// examples/cpp), each through its health contract: released with
// `--health confirm`, installed, updated, and started on trial with a
// non-zero exit right after starting, which is healthy only when the app
// confirmed first (the health byte, or the library's confirm_healthy_start);
// then a restart to update asked for by the app itself, and a broken release
// rolled back as the app sees it (UPKEEP_ROLLED_BACK_FROM).
#include "vendor_app.h"

using namespace upkeep::test;

namespace {

struct Example {
  std::string language;  // as the example greets: "hello from the <language> example <version>"
  std::string program;   // its file in the release folder
  stdfs::path file;      // where the test takes it from
  bool embeds;           // the C++ example checks and stages by itself (--update); the others restart (--restart)
};

std::string greeting(const Example& e, const std::string& version) {
  return "hello from the " + e.language + " example " + version + "\n";
}

void put_example(const Example& e, const stdfs::path& folder) {
  stdfs::create_directories(folder);
  stdfs::copy_file(e.file, folder / e.program);
  // The C++ example's debug information only makes its packages large.
  if (e.embeds) run_ok({"/usr/bin/strip", "--strip-debug", (folder / e.program).string()});
}

// Starts the installed example with `args`, checks its exit code and returns what it printed.
std::string started(const DesktopInstall& installed, const std::vector<std::string>& args, int code) {
  RunResult r = installed.start(args);
  INFO("stderr:\n" << r.err << "stdout:\n" << r.out);
  CHECK(r.exit_code == code);
  return r.out;
}

void check_example(const Example& e) {
  VendorApp app;
  const std::vector<std::string> options{"--program", e.program, "--health", "confirm"};
  put_example(e, app.folder("1.0.0"));
  app.release("1.0.0", options);
  PolicyDir policy;
  DesktopInstall installed(app, policy.env());
  CHECK(started(installed, {"x"}, 0) == greeting(e, "1.0.0") + "arguments: x\n");

  // On trial, exit 3 right after starting: healthy only because the example confirmed first.
  put_example(e, app.folder("2.0.0"));
  app.release("2.0.0", options);
  installed.stage();
  CHECK(started(installed, {"--exit", "3"}, 3) == greeting(e, "2.0.0"));
  CHECK(installed.state_of("2.0.0") == "good");

  // The app asks the launcher to apply the next version; it starts after the app ended.
  // (update_mode download_only: a staged version is applied only then, not at a start.)
  put_example(e, app.folder("3.0.0"));
  app.release("3.0.0", options);
  policy.write("50-restart.json", R"({"update_mode": "download_only"})");
  if (!e.embeds) installed.stage();
  const std::string out = started(installed, {e.embeds ? "--update" : "--restart"}, 0);
  CHECK(contains(out, greeting(e, "2.0.0")));
  CHECK(contains(out, greeting(e, "3.0.0")));
  CHECK(installed.state_of("3.0.0") == "good");
  stdfs::remove(policy.folder() / "50-restart.json");

  // A release that crashes at once: rolled back in the same launch; the example says so.
  write_script(app.folder("4.0.0") / e.program, "kill -SEGV $$\n");
  app.release("4.0.0", options);
  installed.stage();
  CHECK(started(installed, {}, 0) ==
        greeting(e, "3.0.0") + "version 4.0.0 did not start; back on 3.0.0\narguments:" + (e.embeds ? "" : " ") + "\n");
  CHECK(installed.state_of("4.0.0") == "bad");
}

}  // namespace

TEST_CASE("examples/shell confirms through the health fd, restarts to update and sees a rollback",
          "[examples][integration]") {
  check_example({"shell", "hello", source_dir() / "examples" / "shell" / "hello", false});
}

TEST_CASE("examples/python confirms through the health fd, restarts to update and sees a rollback",
          "[examples][integration]") {
  check_example({"Python", "hello.py", source_dir() / "examples" / "python" / "hello.py", false});
}

TEST_CASE("examples/cpp confirms through the library, updates itself and sees a rollback", "[examples][integration]") {
  check_example({"C++", "hello", program("examples/cpp/hello"), true});
}
