// The gallery (issue #15): vendors' own applications, none of them mainapp,
// built here: a shell script, the Python example, a C program with a private
// shared library, a long-running app that never confirms, a command-line tool
// with side effects. Each is released with the real `upkeep release`
// (--program, --arg, --health), installed by `upkeep install`, started from
// the Exec line of the desktop entry the installer wrote, updated
// (`upkeep-updater --root`) and started again. Then a per-machine install run
// by an unprivileged user across a staged update and a privileged apply, and
// a start whose check meets a server that never answers.
#include <signal.h>
#include <unistd.h>

#include <chrono>

#include "hostile_mirror.h"
#include "upkeep/policy/config.h"
#include "vendor_app.h"

using namespace upkeep::test;

namespace {

// A C program that prints its version, its private library's version and its
// arguments, linked to lib/libx.so.1 -> libx.so.1.0 through an $ORIGIN rpath;
// it confirms through $UPKEEP_HEALTH_FD. Built with the system's cc.
void build_c_program(const stdfs::path& folder, const std::string& version, const stdfs::path& sources) {
  const std::string v = "\"" + version + "\"";
  write_text(sources / "libx.c", "const char* x_version(void) { return " + v + "; }\n");
  write_text(sources / "cprog.c", R"(#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
const char* x_version(void);
int main(int argc, char** argv) {
  const char* fd = getenv("UPKEEP_HEALTH_FD");
  if (fd) {
    if (write(atoi(fd), "1", 1) != 1) return 1;
    close(atoi(fd));
  }
  printf("cprog %s with libx %s", )" + v +
                                      R"(, x_version());
  for (int i = 1; i < argc; ++i) printf(" [%s]", argv[i]);
  printf("\n");
  return 0;
}
)");
  stdfs::create_directories(folder / "lib");
  stdfs::create_directories(folder / "bin");
  run_ok({"/usr/bin/cc", "-shared", "-fPIC", "-Wl,-soname,libx.so.1", "-o", (folder / "lib" / "libx.so.1.0").string(),
          (sources / "libx.c").string()});
  stdfs::create_symlink("libx.so.1.0", folder / "lib" / "libx.so.1");
  run_ok({"/usr/bin/cc", "-o", (folder / "bin" / "cprog").string(), (sources / "cprog.c").string(),
          (folder / "lib" / "libx.so.1.0").string(), "-Wl,-rpath,$ORIGIN/../lib"});
}

// A shell script at the folder's top level (the one executable there, so
// `release` needs no --program): prints its version, each argument, a line
// of its standard input, and a line to its standard error.
void write_hello_script(const stdfs::path& folder, const std::string& version) {
  write_script(folder / "hello", "printf 'hello " + version +
                                     ":'\nfor a in \"$@\"; do printf ' [%s]' \"$a\"; done\n"
                                     "echo\nread line || true\necho \"stdin: $line\"\necho 'to stderr' >&2\n");
  write_text(folder / "share" / "greeting.txt", "not executable\n");
}

// 1.0.0 printed `first_out`; 2.0.0 printed `updated_out`, exited with `updated_code`, and is good.
void check_walk(const UpdateWalk& walk, const std::string& first_out, const std::string& updated_out,
                int updated_code = 0) {
  INFO("1.0.0's stderr:\n" << walk.first.err << "\n2.0.0's stderr:\n" << walk.updated.err);
  CHECK(walk.first.exit_code == 0);
  CHECK(walk.first.out == first_out);
  CHECK(walk.updated.exit_code == updated_code);
  CHECK(walk.updated.out == updated_out);
  CHECK(walk.installed->state_of("2.0.0") == "good");
}

}  // namespace

TEST_CASE("gallery: a shell script found without --program gets every argument and stdin, across an update",
          "[gallery][integration]") {
  // The app's own --help, --version, --status and -- are its own; stdin and stderr reach it untouched.
  const std::vector<std::string> args{"--help", "--version", "--status", "--", "two words"};
  UpdateWalk walk = release_install_update(write_hello_script, {}, {args, "typed\n"}, {args, "again\n"});
  check_walk(walk, "hello 1.0.0: [--help] [--version] [--status] [--] [two words]\nstdin: typed\n",
             "hello 2.0.0: [--help] [--version] [--status] [--] [two words]\nstdin: again\n");
  CHECK(contains(walk.first.err, "to stderr"));
}

TEST_CASE("gallery: the Python example confirms its first start after an update", "[gallery][integration]") {
  auto build = [](const stdfs::path& folder, const std::string&) {
    stdfs::create_directories(folder);
    stdfs::copy_file(source_dir() / "examples" / "python" / "hello.py", folder / "hello.py");
  };
  // A non-zero exit after the health byte is the app's own answer: passed on, no rollback.
  UpdateWalk walk =
      release_install_update(build, {"--program", "hello.py", "--health", "confirm"}, {{"a"}}, {{"--exit", "3"}});
  check_walk(walk, "hello from the Python example 1.0.0\narguments: a\n", "hello from the Python example 2.0.0\n", 3);
}

TEST_CASE("gallery: a C program and its private shared library behind a symlink, with release arguments",
          "[gallery][integration]") {
  auto build = [](const stdfs::path& folder, const std::string& v) {
    build_c_program(folder, v, folder.parent_path() / ("src-" + v));
  };
  UpdateWalk walk = release_install_update(
      build, {"--program", "bin/cprog", "--arg", "from-release", "--health", "confirm"}, {{"a"}}, {{"b"}});
  check_walk(walk, "cprog 1.0.0 with libx 1.0.0 [from-release] [a]\n",
             "cprog 2.0.0 with libx 2.0.0 [from-release] [b]\n");
  const stdfs::path version_dir = walk.installed->root() / "versions" / "2.0.0";
  CHECK(stdfs::read_symlink(version_dir / "lib" / "libx.so.1") == "libx.so.1.0");
}

TEST_CASE(
    "gallery: a long-running app that never confirms is healthy once alive for its running:2 and runs on to its own "
    "exit",
    "[gallery][integration]") {
  auto build = [](const stdfs::path& folder, const std::string& v) {
    write_script(folder / "bin" / "worker", "echo 'worker " + v + " started'\nsleep \"${1:-0}\"\necho 'worker " + v +
                                                " done'\nexit \"${2:-0}\"\n");
  };
  // 2.0.0 is alive 4 s, longer than its rule's 2: healthy by then, so its later exit 5 is
  // its own answer, passed on; it ran once, and the old version did not start.
  UpdateWalk walk =
      release_install_update(build, {"--program", "bin/worker", "--health", "running:2"}, {}, {{"4", "5"}});
  check_walk(walk, "worker 1.0.0 started\nworker 1.0.0 done\n", "worker 2.0.0 started\nworker 2.0.0 done\n", 5);
}

TEST_CASE("gallery: a command-line tool runs exactly once per invocation and its exit code reaches the caller",
          "[gallery][integration]") {
  VendorApp app;
  TempDir work;
  const stdfs::path log = work / "side-effects.txt";
  // Appends "<version> <stdin>" to the file named by $1, then exits with $2 (or, broken, dies by SIGSEGV).
  auto tool = [&](const std::string& v, const std::string& end) {
    write_script(app.folder(v) / "tool",
                 "line=$(cat)\necho \"" + v + " $line\" >> \"$1\"\necho 'tool " + v + "'\n" + end + "\n");
    app.release(v, {"--program", "tool", "--health", "exit"});
  };
  tool("1.0.0", "exit \"$2\"");
  DesktopInstall installed(app);
  // One invocation: `input` on its stdin, asked to exit with `code`; it ended as `status`, printing `out`.
  auto invoke = [&](const std::string& code, const std::string& input, int status, const std::string& out) {
    RunResult r = installed.start({log.string(), code}, input);
    INFO(r.err);
    CHECK(r.exit_code == status);
    CHECK(r.out == out);
  };
  invoke("0", "a", 0, "tool 1.0.0\n");

  tool("2.0.0", "exit \"$2\"");
  installed.stage();
  // The first run of the new version exits 3 (a user error): passed on, run once, no rollback.
  invoke("3", "b", 3, "tool 2.0.0\n");
  CHECK(read_text(log) == "1.0.0 a\n2.0.0 b\n");
  CHECK(installed.state_of("2.0.0") == "good");
  invoke("0", "c", 0, "tool 2.0.0\n");

  // A version that crashes: the caller sees the same death, the invocation is not run
  // again, and the next one runs the previous version.
  tool("3.0.0", "kill -SEGV $$");
  installed.stage();
  invoke("0", "d", 128 + SIGSEGV, "tool 3.0.0\n");
  CHECK(read_text(log) == "1.0.0 a\n2.0.0 b\n2.0.0 c\n3.0.0 d\n");
  invoke("4", "e", 4, "tool 2.0.0\n");
  CHECK(read_text(log) == "1.0.0 a\n2.0.0 b\n2.0.0 c\n3.0.0 d\n2.0.0 e\n");
  CHECK(installed.state_of("3.0.0") == "bad");
}

TEST_CASE("gallery: a per-machine install runs as an unprivileged user across a staged update and a privileged apply",
          "[gallery][system][integration]") {
  REQUIRE(geteuid() == 0);  // the test machines run the suite as root
  VendorApp app;
  auto hello = [&](const std::string& v) {
    write_script(app.folder(v) / "bin" / "hello", "echo \"hello " + v + " as $(id -u)\"\n");
    app.release(v, {"--program", "bin/hello"});
  };
  hello("1.0.0");
  TempDir sys;  // stands for /, traversable by the user
  stdfs::permissions(sys.path(), stdfs::perms::owner_all | stdfs::perms::group_exec | stdfs::perms::others_exec);
  const stdfs::path root = sys / "opt" / "demo";
  const InstallAnswer answer = InstallAnswer::run(
      {program("upkeep").string(), "install", "--system", "--json", "--repo", app.server.url, "--trusted-root",
       app.vendor.root_json().string(), "--prefix", root.string(), "--applications-dir", (sys / "apps").string(),
       "--icons-dir", (sys / "icons").string(), "--systemd-dir", (sys / "units").string()},
      {});
  CHECK(answer.root == root);
  CHECK(stdfs::exists(sys / "units" / "upkeep-demo.timer"));  // root's updater, which applies
  const stdfs::path user_home = sys / "home" / "nobody";
  stdfs::create_directories(user_home);
  REQUIRE(chown(user_home.c_str(), 65534, 65534) == 0);
  const std::map<std::string, std::string> user_env{{"HOME", user_home.string()}};
  // What the user gets from the desktop entry: `version`, and no error.
  auto user_gets = [&](const std::string& version) {
    RunResult r = run(as_nobody(desktop_exec_argv(answer.desktop_entry)), user_env);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "hello " + version + " as 65534\n");
    CHECK_FALSE(contains(r.err, "error"));
  };
  user_gets("1.0.0");

  // Root's updater stages 2.0.0; the user, who cannot apply it, still gets 1.0.0, and may ask for the status.
  hello("2.0.0");
  run_ok({(root / "upkeep-updater").string(), "--root", root.string()});
  user_gets("1.0.0");
  RunResult status = run(as_nobody({(root / "demo").string(), "--upkeep-status"}), user_env);
  INFO(status.err);
  CHECK(status.exit_code == 0);
  CHECK(contains(status.out, "2.0.0"));

  // The privileged apply (what the installed timer runs), while nobody runs the app.
  run_ok({(root / "upkeep-updater").string(), "--root", root.string(), "--apply-when-idle"});
  user_gets("2.0.0");
}

TEST_CASE("gallery: a check on start that meets a server that never answers does not delay the start past the deadline",
          "[gallery][integration]") {
  VendorApp app;
  write_script(app.folder("1.0.0") / "hello", "echo hello 1.0.0\n");
  app.release("1.0.0", {"--program", "hello"});
  PolicyDir policy;
  DesktopInstall installed(app, policy.env());
  SilentServer silent;  // an administrator's mirror that hangs, and the deadline for a check on start
  policy.write("50-mirror.json",
               R"({"repository_url": ")" + silent.url + R"(", "check_on_start_deadline_seconds": 2})");

  std::vector<std::string> argv = desktop_exec_argv(installed.desktop_entry());
  argv.push_back("--upkeep-check-now");
  const auto t0 = std::chrono::steady_clock::now();
  BackgroundProcess launch(argv, installed.env());
  while (launch.read_line() != "hello 1.0.0") {  // the check's own lines come first
  }
  const auto waited = std::chrono::steady_clock::now() - t0;
  // The check ran (nothing answers before the deadline), and the app started once it passed.
  CHECK(waited >= std::chrono::seconds(2));
  CHECK(waited < std::chrono::seconds(2 + 4));
  CHECK(launch.stop(0) == 0);
}

TEST_CASE(
    "gallery: a shell script installed with --mirror updates from the mirror when the repository tampers or stalls, "
    "and no failed try is counted",
    "[gallery][hostile][integration]") {
  VendorApp app;
  auto hello = [&](const std::string& v) {
    write_script(app.folder(v) / "hello", "echo hello " + v + "\n");
    app.release(v, {"--program", "hello"});
  };
  hello("1.0.0");
  HostileMirror primary(app.vendor.repo(), ".package.zip");  // honest while installing
  DesktopInstall installed(app, primary.url(), {"--mirror", app.server.url});
  const stdfs::path root = installed.root();
  const upkeep::Config written = upkeep::Config::load(root / "config.json");
  CHECK(written.repository_url == primary.url());
  REQUIRE(written.mirror_urls.size() == 1);
  CHECK(written.mirror_urls[0].rfind(app.server.url, 0) == 0);
  // A stalled download is given up after 2 s.
  edit_config(root, [](upkeep::Config& c) { c.min_transfer_rate_seconds = 2; });
  auto check_now = [&] {
    return run({(root / "upkeep-updater").string(), "--root", root.string(), "--check-now"}, installed.env());
  };
  // One check per release: the package from the repository is tampered with, then stalls; the mirror serves it.
  int hostile = 0;
  for (auto [version, mode] :
       {std::pair{"2.0.0", HostileMirror::Mode::kTamper}, {"3.0.0", HostileMirror::Mode::kStall}}) {
    hello(version);
    primary.set_mode(mode);
    RunResult r = check_now();
    INFO(version << " stderr:\n" << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.err, "trying the mirror " + app.server.url));
    CHECK(primary.hostile_requests() == ++hostile);
    RunResult started = installed.start();
    CHECK(started.out == "hello " + std::string(version) + "\n");
    CHECK(installed.state_of(version) == "good");
  }

  // Every source fails (the mirror refuses connections): the check fails naming both, counts nothing, the app runs on.
  edit_config(root, [](upkeep::Config& c) { c.mirror_urls = {"http://127.0.0.1:1/"}; });
  hello("4.0.0");
  primary.set_mode(HostileMirror::Mode::kTamper);
  RunResult failed = check_now();
  INFO("stderr:\n" << failed.err);
  CHECK(failed.exit_code == 6);
  CHECK(contains(failed.err, "every source failed: " + primary.url()));
  CHECK(contains(failed.err, "SHA-256 mismatch"));
  CHECK(contains(failed.err, "http://127.0.0.1:1/"));
  CHECK_FALSE(contains(failed.err, "failed try"));
  CHECK(installed.start().out == "hello 3.0.0\n");
  CHECK(installed.state_of("4.0.0") != "quarantined");
}

TEST_CASE(
    "gallery: a shell script whose config.json and then state.db are damaged still starts from its desktop entry, "
    "and repair and the updater put it right",
    "[gallery][heal][integration]") {
  VendorApp app;
  auto hello = [&](const std::string& v) {
    write_script(app.folder(v) / "bin" / "hello",
                 "printf 'hello " + v + ":'\nfor a in \"$@\"; do printf ' [%s]' \"$a\"; done\necho\n");
    app.release(v, {"--program", "bin/hello", "--arg", "from-release"});
  };
  hello("1.0.0");
  DesktopInstall installed(app);
  const stdfs::path root = installed.root();
  hello("2.0.0");
  installed.stage();
  REQUIRE(installed.start({"a"}).out == "hello 2.0.0: [from-release] [a]\n");

  // config.json: garbage. The app starts as before; its stderr says how to repair; `upkeep repair` rewrites the file.
  write_text(root / "config.json", "\x7f{{ not json");
  RunResult started = installed.start({"b"});
  INFO("stderr:\n" << started.err);
  CHECK(started.exit_code == 0);
  CHECK(started.out == "hello 2.0.0: [from-release] [b]\n");
  CHECK(contains(started.err, "upkeep repair --prefix " + root.string()));
  RunResult repaired = run({program("upkeep").string(), "repair", "--prefix", root.string()}, installed.env());
  INFO("repair:\n" << repaired.out << repaired.err);
  CHECK(repaired.exit_code == 0);
  CHECK(upkeep::Config::load(root / "config.json").repository_url.rfind(app.server.url, 0) == 0);

  // state.db: overwritten with other bytes, at a start with work pending. Set aside and rebuilt from the
  // folders and signed manifests (the program and its release argument included); updates go on.
  const std::string size_before = std::to_string(stdfs::file_size(root / "state.db"));
  write_text(root / "state.db", std::string(std::stoul(size_before), 'x'));
  write_text(root / ".pending", "");
  started = installed.start({"c"});
  INFO("stderr:\n" << started.err);
  CHECK(started.exit_code == 0);
  CHECK(started.out == "hello 2.0.0: [from-release] [c]\n");
  CHECK(contains(started.err, "damaged"));
  CHECK(installed.state_of("2.0.0") == "good");
  hello("3.0.0");
  installed.stage();
  CHECK(installed.start({"d"}).out == "hello 3.0.0: [from-release] [d]\n");
  CHECK(installed.state_of("3.0.0") == "good");
}
