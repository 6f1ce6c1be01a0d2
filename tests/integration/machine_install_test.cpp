// Per-machine installs that every user can run and root keeps current
// (issue #15, item 5), and the per-user update timer, through the real
// programs: `upkeep install --system` into a temporary prefix (the tests run
// as root) under a hostile umask, its systemd units checked by the real
// systemd-analyze, the installed files read and run by an unprivileged user
// (setpriv to nobody), and `upkeep-updater --apply-when-idle` with and
// without a user holding the app's .running lock (flock --shared, held until
// the test writes to a FIFO).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "release_fixture.h"

using namespace upkeep::test;
using upkeep::Json;

namespace {

const std::vector<std::string> kAsNobody = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};

std::vector<std::string> as_nobody(const std::vector<std::string>& argv) {
  std::vector<std::string> v = kAsNobody;
  v.insert(v.end(), argv.begin(), argv.end());
  return v;
}

// `s` with every '%' replaced by `by`.
std::string percent(std::string s, const std::string& by) {
  for (size_t at = 0; (at = s.find('%', at)) != std::string::npos; at += by.size()) s.replace(at, 1, by);
  return s;
}

uint32_t mode_of(const stdfs::path& p) {
  struct stat st {};
  REQUIRE(lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// 1.0.0 of the reference app released into a repository installed from
// file:// (config.json names it, so the updater checks it later); a folder
// every user may enter, holding the prefix and the units' folder.
struct MachineInstall {
  VendorRepo vendor;
  TempDir dir;
  stdfs::path root = dir / "opt" / "my demo 100%";  // the units must quote the space and double the '%'
  stdfs::path units = dir / "units";

  MachineInstall() {
    REQUIRE(geteuid() == 0);  // the test machines run the suite as root
    vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
    stdfs::permissions(dir.path(), static_cast<stdfs::perms>(0755));
  }
  std::string repo_url() const { return "file://" + vendor.repo().string() + "/"; }

  // `upkeep install --system ... --json` with umask 077, as a cautious administrator's shell has it.
  Json install() const {
    const std::vector<std::string> argv{"/bin/sh",
                                        "-c",
                                        "umask 077; exec \"$@\"",
                                        "sh",
                                        program("upkeep").string(),
                                        "install",
                                        "--system",
                                        "--repo",
                                        repo_url(),
                                        "--trusted-root",
                                        vendor.root_json().string(),
                                        "--prefix",
                                        root.string(),
                                        "--no-shortcut",
                                        "--systemd-dir",
                                        units.string(),
                                        "--json"};
    return Json::parse(run_ok(argv).out, "install --system --json");
  }
  // 1.0.0 installed, then 2.0.0 released (not yet fetched).
  void install_then_release_2() {
    install();
    vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  }
  RunResult updater(const std::vector<std::string>& extra) const {
    std::vector<std::string> argv{(root / "upkeep-updater").string(), "--root", root.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv);
  }
  Json updater_json(const std::vector<std::string>& extra) const {
    std::vector<std::string> args = extra;
    args.push_back("--json");
    const RunResult r = updater(args);
    INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
    REQUIRE(r.exit_code == 0);
    return Json::parse(r.out, "upkeep-updater --json");
  }
  std::string current() const { return stdfs::read_symlink(root / "current").string(); }
  std::string state_of(const std::string& version) const {
    const Json s = Json::parse(run_ok({(root / "demo").string(), "--upkeep-status", "--upkeep-json"}).out,
                               "--upkeep-status --upkeep-json");
    for (const auto& v : s.get_array("versions"))
      if (v.get_string("version") == version) return v.get_string("state");
    return "";
  }
};

// `systemd-analyze [--user] verify` of both units: accepted, and nothing said about them.
void check_units_verify(const std::vector<stdfs::path>& units, bool user, const TempDir& runtime) {
  std::vector<std::string> argv{"/usr/bin/systemd-analyze"};
  if (user) argv.push_back("--user");
  argv.push_back("verify");
  for (const auto& u : units) argv.push_back(u.string());
  const RunResult r = run(argv, {{"XDG_RUNTIME_DIR", runtime.path().string()}});
  INFO("systemd-analyze verify:\n" << r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_FALSE(contains(r.err, "upkeep-demo"));
}

// A user running the app: `flock --shared <root>/.running` around a shell
// that says so, then waits for a line on a FIFO. The lock is held from the
// line "holding" until release() (no sleeps).
class AppUser {
 public:
  explicit AppUser(const stdfs::path& running) : fifo_(dir_ / "go") {
    stdfs::permissions(dir_.path(), static_cast<stdfs::perms>(0755));
    REQUIRE(mkfifo(fifo_.c_str(), 0666) == 0);
    chmod(fifo_.c_str(), 0666);
    process_.emplace(as_nobody({"/usr/bin/flock", "--shared", running.string(), "/bin/sh", "-c",
                                "echo holding; read line < \"$0\"", fifo_.string()}));
    REQUIRE(process_->read_line() == "holding");
  }
  // Lets the shell end (flock then ends and the lock is gone); returns the exit code.
  int release() {
    const int fd = open(fifo_.c_str(), O_WRONLY);  // blocks until the shell opens it
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, "go\n", 3) == 3);
    close(fd);
    return process_->stop(0);  // signal 0: nothing sent, only waited for
  }

 private:
  TempDir dir_;
  stdfs::path fifo_;
  std::optional<BackgroundProcess> process_;
};

}  // namespace

TEST_CASE("a per-machine install is readable and runnable by every user and writes a timer systemd accepts",
          "[install][machine][integration]") {
  MachineInstall m;
  const Json j = m.install();

  // Folders 0755, files the installer wrote 0644 (programs 0755), whatever the umask; .running empty.
  for (auto it = stdfs::recursive_directory_iterator(m.dir / "opt"); it != stdfs::recursive_directory_iterator();
       ++it) {
    const stdfs::path& p = it->path();
    INFO(p);
    if (it->is_symlink()) continue;
    if (it->is_directory()) CHECK(mode_of(p) == 0755);
    if (it->is_regular_file() && !contains(p.string(), "/versions/")) CHECK((mode_of(p) == 0644 || mode_of(p) == 0755));
  }
  CHECK(mode_of(m.dir / "opt") == 0755);  // created by the install, above the root
  CHECK(mode_of(m.root / "state.db") == 0644);
  CHECK(mode_of(m.root / "demo") == 0755);
  CHECK(mode_of(m.root / "upkeep-updater") == 0755);
  REQUIRE(stdfs::exists(m.root / ".running"));
  CHECK(mode_of(m.root / ".running") == 0644);
  CHECK(stdfs::file_size(m.root / ".running") == 0);

  // An ordinary user reads and runs the installed files, and cannot write the root.
  CHECK(run_ok(as_nobody({(m.root / "current" / "mainapp").string(), "--version"})).out == "mainapp 1.0.0\n");
  CHECK(run_ok(as_nobody({(m.root / "demo").string(), "--version"})).out == "mainapp 1.0.0\n");
  CHECK(run_ok(as_nobody({"/usr/bin/head", "-c", "15", (m.root / "state.db").string()})).out == "SQLite format 3");
  CHECK(contains(run_ok(as_nobody({(m.root / "upkeep-updater").string(), "--help"})).out, "--apply-when-idle"));
  CHECK(run(as_nobody({"/usr/bin/touch", (m.root / "x").string()})).exit_code != 0);

  // The service and timer, in --systemd-dir (so never enabled: not the manager's folder), and the cron line.
  const stdfs::path service = m.units / "upkeep-demo.service", timer = m.units / "upkeep-demo.timer";
  CHECK(j.get_array("units").size() == 2);
  CHECK_FALSE(j.get_bool("timer_enabled"));
  const std::string cron_root = percent(m.root.string(), "\\%"), unit_root = percent(m.root.string(), "%%");
  CHECK(contains(j.get_string("cron_line"),
                 " root '" + cron_root + "/upkeep-updater' --root '" + cron_root + "' --scheduled --apply-when-idle"));
  const std::string unit = read_text(service);
  CHECK(contains(unit, "Type=oneshot\n"));
  CHECK(contains(unit, "ExecStart=\"" + unit_root + "/upkeep-updater\" --root \"" + unit_root +
                           "\" --scheduled --apply-when-idle\n"));
  CHECK(contains(unit, "ReadWritePaths=\"" + unit_root + "\"\n"));
  CHECK(contains(read_text(timer), "OnUnitActiveSec=6h\n"));
  CHECK(contains(read_text(timer), "WantedBy=timers.target\n"));
  TempDir runtime;
  check_units_verify({service, timer}, false, runtime);

  // Repair reopens what a hostile umask or a slip closed, and puts a lost .running back.
  stdfs::permissions(m.root / "manifests", static_cast<stdfs::perms>(0700));
  stdfs::remove(m.root / ".running");
  run_ok({program("upkeep").string(), "repair", "--prefix", m.root.string()});
  CHECK(mode_of(m.root / "manifests") == 0755);
  CHECK(stdfs::exists(m.root / ".running"));

  const RunResult removed = run_ok({program("upkeep").string(), "uninstall", "--prefix", m.root.string()});
  CHECK(contains(removed.out, "removed " + timer.string()));
  CHECK_FALSE(stdfs::exists(service));
  CHECK_FALSE(stdfs::exists(timer));
  CHECK_FALSE(stdfs::exists(m.root));
}

TEST_CASE("upkeep-updater --apply-when-idle leaves the staged version while a user runs the app, then applies it",
          "[install][machine][integration]") {
  MachineInstall m;
  m.install_then_release_2();

  // Without the option, as ever: check and stage only.
  CHECK(m.updater_json({}).get_string("staged") == "2.0.0");
  CHECK(m.current() == "versions/1.0.0");
  CHECK(m.state_of("2.0.0") == "staged");

  {
    AppUser user(m.root / ".running");
    const Json busy = m.updater_json({"--apply-when-idle"});
    CHECK(busy.get_string("outcome") == "in_use");
    CHECK(busy.get_string("version") == "2.0.0");
    CHECK(m.current() == "versions/1.0.0");
    CHECK(m.state_of("2.0.0") == "staged");
    const RunResult line = m.updater({"--apply-when-idle"});
    CHECK(line.exit_code == 0);
    CHECK(contains(line.out, "2.0.0 is staged and not applied: the application is running"));
    CHECK(user.release() == 0);
  }

  const Json done = m.updater_json({"--apply-when-idle"});
  CHECK(done.get_string("outcome") == "applied");
  CHECK(done.get_string("from") == "1.0.0");
  CHECK(m.current() == "versions/2.0.0");
  CHECK(m.state_of("2.0.0") == "good");
  const Json status =
      Json::parse(run_ok({(m.root / "demo").string(), "--upkeep-status", "--upkeep-json"}).out, "--upkeep-status");
  bool recorded = false;
  for (const auto& e : status.get_array("events"))
    recorded = recorded || (e.get_string("kind") == "privileged_apply" && e.get_string("version") == "2.0.0");
  CHECK(recorded);
  // The new version's folders are open to every user, who now runs 2.0.0.
  CHECK(mode_of(m.root / "versions" / "2.0.0" / "share") == 0755);
  CHECK(run_ok(as_nobody({(m.root / "demo").string(), "--version"})).out == "mainapp 2.0.0\n");
  // Nothing more to do.
  CHECK(m.updater_json({"--apply-when-idle"}).get_string("outcome") == "nothing_staged");
}

TEST_CASE("a privileged apply checks every byte: a staged file changed in place is rolled back and marked bad",
          "[install][machine][integration]") {
  MachineInstall m;
  m.install_then_release_2();
  REQUIRE(m.updater_json({}).get_string("staged") == "2.0.0");
  // Same name, same size, other bytes: apply's own check (the set of names) lets it through.
  const stdfs::path readme = m.root / "staging" / "2.0.0" / "share" / "readme.txt";
  std::string text = read_text(readme);
  text[0] = text[0] == 'x' ? 'y' : 'x';
  write_text(readme, text);

  const RunResult r = m.updater({"--apply-when-idle", "--json"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  const Json j = Json::parse(r.out, "upkeep-updater --json");
  CHECK(j.get_string("outcome") == "rolled_back");
  CHECK(contains(j.get_string("detail"), "share/readme.txt"));
  CHECK(m.current() == "versions/1.0.0");
  CHECK(m.state_of("2.0.0") == "bad");
  CHECK(run_ok(as_nobody({(m.root / "demo").string(), "--version"})).out == "mainapp 1.0.0\n");
}

TEST_CASE("apply when idle is for per-machine installs only", "[install][machine][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  TempDir dir;
  run_ok({program("upkeep").string(), "install", "--repo", "file://" + vendor.repo().string() + "/", "--prefix",
          (dir / "app").string(), "--no-shortcut", "--trusted-root", vendor.root_json().string()});
  CHECK_FALSE(stdfs::exists(dir / "app" / ".running"));
  const RunResult r =
      run({(dir / "app" / "upkeep-updater").string(), "--root", (dir / "app").string(), "--apply-when-idle"});
  CHECK(r.exit_code == 9);
  CHECK(contains(r.err, "is not a per-machine install"));
}

TEST_CASE("install --schedule writes a user timer that checks and stages, and uninstall removes it",
          "[install][machine][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  TempDir home, runtime;
  // No user manager listens in this runtime folder: the timer is written, not enabled.
  const std::map<std::string, std::string> env{{"HOME", home.path().string()},
                                               {"XDG_DATA_HOME", (home / "data").string()},
                                               {"XDG_CONFIG_HOME", (home / "config").string()},
                                               {"XDG_RUNTIME_DIR", runtime.path().string()}};
  auto upkeep = [](std::vector<std::string> args) {
    args.insert(args.begin(), program("upkeep").string());
    return args;
  };
  const RunResult installed =
      run_ok(upkeep({"install", "--schedule", "--repo", "file://" + vendor.repo().string() + "/", "--trusted-root",
                     vendor.root_json().string(), "--no-shortcut", "--json"}),
             env);
  const Json j = Json::parse(installed.out, "install --schedule --json");
  const stdfs::path units = home / "config" / "systemd" / "user";
  const stdfs::path root = home / "data" / "upkeep" / "demo";
  CHECK_FALSE(j.get_bool("timer_enabled"));
  CHECK(contains(j.get_string("timer_note"), "no systemd user manager"));
  CHECK_FALSE(contains(j.get_string("cron_line"), " root "));
  const std::string service = read_text(units / "upkeep-demo.service");
  CHECK(contains(service, "ExecStart=\"" + (root / "upkeep-updater").string() + "\" --root \"" + root.string() +
                              "\" --scheduled\n"));
  CHECK_FALSE(contains(service, "--apply-when-idle"));
  CHECK_FALSE(stdfs::exists(root / ".running"));  // a per-user root is the user's own
  check_units_verify({units / "upkeep-demo.service", units / "upkeep-demo.timer"}, true, runtime);

  // What the timer runs: a check that stages 2.0.0 and leaves the apply to the launcher.
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  run_ok({(root / "upkeep-updater").string(), "--root", root.string(), "--scheduled"}, env);
  CHECK(stdfs::read_symlink(root / "current") == "versions/1.0.0");
  CHECK(stdfs::exists(root / "staging" / "2.0.0"));

  run_ok(upkeep({"uninstall", "--app-id", "demo"}), env);
  CHECK_FALSE(stdfs::exists(units / "upkeep-demo.service"));
  CHECK_FALSE(stdfs::exists(units / "upkeep-demo.timer"));

  // The options that make no sense together are refused.
  CHECK(run(upkeep({"install", "--schedule", "--system", "--repo", "file:///nowhere/"}), env).exit_code == 2);
  CHECK(run(upkeep({"install", "--systemd-dir", "/tmp", "--repo", "file:///nowhere/"}), env).exit_code == 2);
}

TEST_CASE("a scheduled run does not check in update_mode manual, and applies what a person staged",
          "[install][machine][integration]") {
  MachineInstall m;
  m.install_then_release_2();
  PolicyDir policy;
  policy.write("10-manual.json", R"({"update_mode": "manual"})");
  const std::vector<std::string> scheduled{
      (m.root / "upkeep-updater").string(), "--root", m.root.string(), "--scheduled", "--apply-when-idle", "--json"};

  const RunResult skipped = run(scheduled, policy.env());
  INFO(skipped.out << skipped.err);
  REQUIRE(skipped.exit_code == 0);
  const Json j = Json::parse(skipped.out, "upkeep-updater --json");
  CHECK(contains(j.get_string("check_skipped"), "update_mode manual (policy " + policy.file("10-manual.json")));
  CHECK(j.get_string("outcome") == "nothing_staged");
  CHECK_FALSE(stdfs::exists(m.root / "staging" / "2.0.0"));

  // A person checks by hand (not --scheduled); the next scheduled run applies what was staged.
  run_ok({(m.root / "upkeep-updater").string(), "--root", m.root.string(), "--quiet"}, policy.env());
  const RunResult applied = run(scheduled, policy.env());
  REQUIRE(applied.exit_code == 0);
  CHECK(Json::parse(applied.out, "upkeep-updater --json").get_string("outcome") == "applied");
  CHECK(m.current() == "versions/2.0.0");
}
