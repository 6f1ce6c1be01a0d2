// An install that heals itself (issue #17), through the real programs: a
// config.json or state.db damaged in each way a crash, a disk or a person
// leaves it, on a per-user install run by its owner and on a per-machine
// install run by nobody; the app still starts, --status says what is wrong,
// the updater and `upkeep repair` put it right. Also --status on a root
// this user may not read (exit 14), and the temp files of interrupted
// atomic writes swept at the next start.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "release_fixture.h"
#include "vendor_app.h"

using namespace upkeep::test;
using upkeep::Json;

namespace {

// Damages `file` the way `kind` says.
void damage(const stdfs::path& file, const std::string& kind) {
  const std::string before = stdfs::is_regular_file(file) ? read_text(file) : "";
  if (kind == "empty") {
    write_text(file, "");
  } else if (kind == "garbage") {
    write_text(file, "\x7f\x01{{not json at all");
  } else if (kind == "array") {
    write_text(file, "[]");
  } else if (kind == "typo") {  // a value of the wrong type; every other key stays right
    Json j = Json::parse(before, "config.json");
    j["check_interval_minutes"] = "often";
    write_text(file, j.dump());
  } else if (kind == "folder") {
    stdfs::remove_all(file);
    stdfs::create_directories(file / "inside");
  } else if (kind == "truncated") {
    REQUIRE(before.size() > 8192);
    stdfs::resize_file(file, before.size() / 2 + 100);
  } else if (kind == "random") {
    std::mt19937 rng(17);
    std::string bytes(before.size(), '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    write_text(file, bytes);
  } else if (kind == "zero") {
    stdfs::resize_file(file, 0);
  } else {
    FAIL("unknown damage " << kind);
  }
}

// The damaged state.db files set aside (their -wal and -shm beside them not counted).
std::vector<stdfs::path> set_aside(const stdfs::path& root) {
  std::vector<stdfs::path> out;
  for (const auto& e : stdfs::directory_iterator(root))
    if (const std::string name = e.path().filename().string(); name.rfind("state.db.damaged-", 0) == 0 &&
                                                               name.find("-wal") == std::string::npos &&
                                                               name.find("-shm") == std::string::npos)
      out.push_back(e.path());
  return out;
}

Json status_json(const std::vector<std::string>& argv) {
  RunResult r = run(argv);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
  return Json::parse(r.out, "--upkeep-status --upkeep-json");
}

std::string state_in(const Json& status, const std::string& version) {
  for (const auto& v : status.get_array("versions"))
    if (v.get_string("version") == version) return v.get_string("state");
  return "";
}

std::vector<std::string> upkeep_cmd(const std::vector<std::string>& args) {
  std::vector<std::string> argv{program("upkeep").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// 1.0.0 released, served and installed per user.
struct OneInstall {
  VendorRepo vendor;
  const bool released = (vendor.release(vendor.build_folder("1.0.0"), "1.0.0"), true);
  RepoServerProcess server{vendor.repo()};
  Installed app{server.url, vendor.root_json(), "1.0.0"};
};

// A per-machine install (root), 1.0.0, in a folder every user may enter.
struct MachineRoot {
  VendorRepo vendor;
  TempDir dir;
  stdfs::path root = dir / "opt" / "demo";
  MachineRoot() {
    REQUIRE(geteuid() == 0);
    vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
    stdfs::permissions(dir.path(), static_cast<stdfs::perms>(0755));
    run_ok(upkeep_cmd({"install", "--system", "--repo", "file://" + vendor.repo().string() + "/", "--trusted-root",
                       vendor.root_json().string(), "--prefix", root.string(), "--no-shortcut", "--systemd-dir",
                       (dir / "units").string()}));
  }
  std::string launcher() const { return (root / "demo").string(); }
};

}  // namespace

TEST_CASE("a damaged config.json: the app starts, --status says updates are off, and repair rewrites it",
          "[heal][integration]") {
  const std::string kind = GENERATE(as<std::string>{}, "empty", "garbage", "array", "typo", "folder");
  CAPTURE(kind);
  OneInstall one;
  VendorRepo& vendor = one.vendor;
  Installed& app = one.app;
  const stdfs::path config = app.prefix() / "config.json";
  const Json good = Json::parse(read_text(config), "config.json");
  damage(config, kind);

  // Started with a warning in the log and on stderr; and with the check on start asked for, none runs.
  RunResult started = run({app.launcher().string(), "--upkeep-check-now", "--version"});
  CHECK(started.exit_code == 0);
  CHECK(started.out == "mainapp 1.0.0\n");
  CHECK(contains(started.err, "config.json"));
  CHECK(contains(started.err, "upkeep repair --prefix " + app.prefix().string()));
  CHECK(contains(read_text(app.prefix() / "logs" / "launcher.log"), "updates off"));

  // The reference app itself runs with it too (its updater off).
  RunResult ran = run({app.launcher().string(), "--exit-after-check", "--ui", "terminal"});
  INFO("app stdout:\n" << ran.out << "\napp stderr:\n" << ran.err);
  CHECK(ran.exit_code == 0);
  CHECK(contains(ran.err + ran.out, "updates are off"));

  const Json status = app.status();
  CHECK(status.contains("config_error"));
  CHECK(contains(status.get_string("updates"), "upkeep repair"));
  CHECK(state_in(status, "1.0.0") == "good");
  CHECK(contains(run_ok({app.launcher().string(), "--upkeep-status"}).out, "DAMAGED"));
  // The updater refuses to check with a damaged file, and says how to repair it.
  RunResult updater = run({(app.prefix() / "upkeep-updater").string(), "--root", app.prefix().string(), "--check-now"});
  CHECK(updater.exit_code == 10);
  CHECK(contains(updater.err, "upkeep repair"));

  // Repair rewrites it from state.db's copy and the right values of the damaged file.
  RunResult repaired = run_ok(upkeep_cmd({"repair", "--prefix", app.prefix().string()}));
  CHECK(contains(repaired.out, "rewrote " + config.string()));
  REQUIRE(stdfs::is_regular_file(config));
  const Json now = Json::parse(read_text(config), "config.json");
  CHECK(now.get_string("app_id") == "demo");
  CHECK(now.get_string("repository") == good.get_string("repository"));
  CHECK(upkeep::Config::load(config).check_interval_minutes == 360);  // the default: the installer wrote none
  CHECK_FALSE(app.status().contains("config_error"));
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  run_ok({(app.prefix() / "upkeep-updater").string(), "--root", app.prefix().string(), "--check-now"});
  CHECK(run_ok({app.launcher().string(), "--version"}).out == "mainapp 2.0.0\n");
}

TEST_CASE("a key config.json does not know is a warning: the app starts and updates", "[heal][integration]") {
  OneInstall one;
  VendorRepo& vendor = one.vendor;
  Installed& app = one.app;
  const stdfs::path config = app.prefix() / "config.json";
  Json j = Json::parse(read_text(config), "config.json");
  j["a_key_of_version_9"] = true;
  write_text(config, j.dump());
  CHECK(run_ok({app.launcher().string(), "--version"}).out == "mainapp 1.0.0\n");
  const Json status = app.status();
  CHECK_FALSE(status.contains("config_error"));
  REQUIRE(status.get_array("config_unknown_keys").size() == 1);
  CHECK(contains(run_ok({app.launcher().string(), "--upkeep-status"}).out, "unknown key 'a_key_of_version_9'"));
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  RunResult check =
      run_ok({(app.prefix() / "upkeep-updater").string(), "--root", app.prefix().string(), "--check-now"});
  CHECK(contains(check.err, "a_key_of_version_9"));
  CHECK(run_ok({app.launcher().string(), "--version"}).out == "mainapp 2.0.0\n");
  // repair leaves a file that loads as it is.
  CHECK_FALSE(contains(run_ok(upkeep_cmd({"repair", "--prefix", app.prefix().string()})).out, "rewrote"));
  CHECK(contains(read_text(config), "a_key_of_version_9"));
}

TEST_CASE("repair says what it is missing when neither config.json nor state.db knows the repository",
          "[heal][integration]") {
  OneInstall one;
  Installed& app = one.app;
  stdfs::remove(app.prefix() / "state.db");
  write_text(app.prefix() / "config.json", "");
  RunResult r = run(upkeep_cmd({"repair", "--prefix", app.prefix().string()}));
  CHECK(r.exit_code == 9);
  CHECK(contains(r.err, "the repository URL"));
  CHECK(contains(r.err, "--repository URL"));
  run_ok(upkeep_cmd({"repair", "--prefix", app.prefix().string(), "--repository", one.server.url}));
  CHECK(Json::parse(read_text(app.prefix() / "config.json"), "config.json").get_string("app_id") == "demo");
  CHECK(app.state_of("1.0.0") == "good");  // state.db was rebuilt from the folders on the way
}

TEST_CASE("a damaged state.db is set aside and rebuilt: the app starts, --status, updates and repair work",
          "[heal][integration]") {
  const std::string kind = GENERATE(as<std::string>{}, "truncated", "random", "zero", "folder");
  CAPTURE(kind);
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");
  const std::string updater = (app.prefix() / "upkeep-updater").string();
  run_ok({updater, "--root", app.prefix().string(), "--check-now"});
  REQUIRE(run_ok({app.launcher().string(), "--version"}).out == "mainapp 2.0.0\n");
  REQUIRE(app.state_of("1.0.0") == "good");
  damage(app.prefix() / "state.db", kind);

  // --status is read-only: it reports the damage and changes nothing.
  RunResult text = run({app.launcher().string(), "--upkeep-status"});
  CHECK(text.exit_code == 0);
  if (kind != "zero") CHECK(contains(text.out, "DAMAGED"));
  CHECK(set_aside(app.prefix()).empty());

  // The next start (a slow one: something is pending) sets it aside, rebuilds it, and starts `current`.
  write_text(app.prefix() / ".pending", "");
  RunResult started = run({app.launcher().string(), "--version"});
  INFO("stderr:\n" << started.err);
  CHECK(started.exit_code == 0);
  const std::string current = app.current().substr(std::string("versions/").size());
  CHECK(started.out == "mainapp " + current + "\n");
  if (kind != "zero") {
    REQUIRE(set_aside(app.prefix()).size() == 1);
    CHECK(contains(started.err, "damaged"));
  }
  const Json status = app.status();
  CHECK(state_in(status, current) == "good");
  CHECK(app.has_event("state_rebuilt", current));
  CHECK(contains(read_text(app.prefix() / "logs" / "launcher.log"), "rebuil"));

  // Updates and repair work on the rebuilt store.
  vendor.release(vendor.build_folder("3.0.0"), "3.0.0");
  run_ok({updater, "--root", app.prefix().string(), "--check-now"});
  CHECK(run_ok({app.launcher().string(), "--version"}).out == "mainapp 3.0.0\n");
  CHECK(app.state_of("3.0.0") == "good");
  stdfs::remove(app.prefix() / "versions" / "3.0.0" / "VERSION");
  CHECK(contains(run_ok(upkeep_cmd({"repair", "--prefix", app.prefix().string()})).out, "restored VERSION"));
}

TEST_CASE("damage in a per-machine install: nobody's app starts and --status reports it, and root's next run rebuilds",
          "[heal][integration]") {
  MachineRoot m;
  const stdfs::path db = m.root / "state.db";
  const std::string pristine = read_text(db);
  for (const std::string kind : {"truncated", "random", "zero", "folder"}) {
    CAPTURE(kind);
    damage(db, kind);
    write_text(m.root / ".pending", "");  // the slow path, read-only for nobody
    CHECK(run_ok(as_nobody({m.launcher(), "--version"})).out == "mainapp 1.0.0\n");
    RunResult status = run(as_nobody({m.launcher(), "--upkeep-status"}));
    CHECK(status.exit_code == 0);
    if (kind != "zero") CHECK(contains(status.out, "DAMAGED"));
    stdfs::remove_all(db);
    write_text(db, pristine);
  }
  for (const std::string kind : {"empty", "garbage", "array", "typo", "folder"}) {
    CAPTURE(kind);
    const stdfs::path config = m.root / "config.json";
    const std::string before = read_text(config);
    damage(config, kind);
    RunResult started = run(as_nobody({m.launcher(), "--version"}));
    CHECK(started.exit_code == 0);
    CHECK(started.out == "mainapp 1.0.0\n");
    CHECK(contains(started.err, "config.json"));
    RunResult status = run(as_nobody({m.launcher(), "--upkeep-status"}));
    CHECK(status.exit_code == 0);
    CHECK(contains(status.out, "DAMAGED"));
    // nobody may not repair it; root may.
    CHECK(run(as_nobody(upkeep_cmd({"repair", "--prefix", m.root.string()}))).exit_code == 12);
    run_ok(upkeep_cmd({"repair", "--prefix", m.root.string()}));
    CHECK(read_text(config) == before);
  }
}

TEST_CASE("the launcher's --status on a root this user may not read is a permission problem (exit 14), on a read-only one it works",
          "[heal][integration]") {
  OneInstall one;
  Installed& app = one.app;
  stdfs::permissions(app.dir.path(), static_cast<stdfs::perms>(0755));
  stdfs::permissions(app.prefix(), static_cast<stdfs::perms>(0555));  // read-only for everyone but root
  for (const char* f : {"state.db", "config.json"})
    stdfs::permissions(app.prefix() / f, static_cast<stdfs::perms>(0644));
  const std::string launcher = app.launcher().string();

  // Readable, not writable: it works and leaves nothing beside state.db.
  RunResult ok = run(as_nobody({launcher, "--upkeep-status", "--upkeep-json"}));
  INFO("stderr:\n" << ok.err);
  REQUIRE(ok.exit_code == 0);
  CHECK(state_in(Json::parse(ok.out, "status"), "1.0.0") == "good");
  CHECK_FALSE(stdfs::exists(app.prefix() / "state.db-wal"));
  CHECK_FALSE(stdfs::exists(app.prefix() / "state.db-shm"));

  // Not readable: exit 14, naming the file.
  stdfs::permissions(app.prefix() / "state.db", static_cast<stdfs::perms>(0600));
  RunResult denied = run(as_nobody({launcher, "--upkeep-status"}));
  CHECK(denied.exit_code == 14);
  CHECK(contains(denied.err, "state.db"));
  stdfs::permissions(app.prefix(), static_cast<stdfs::perms>(0700));
  CHECK(run(as_nobody({launcher, "--upkeep-status"})).exit_code != 10);
}

TEST_CASE("temp files of interrupted atomic writes are swept at the next start, others' are kept",
          "[heal][integration]") {
  OneInstall one;
  Installed& app = one.app;
  // A writer that is gone (a pid no process has: beyond pid_max), and one that is running now (this test).
  const std::string gone = std::to_string(4194304 + 17);
  const std::string alive = std::to_string(getpid());
  const stdfs::path root = app.prefix();
  const std::vector<stdfs::path> stale = {root / (".pending.tmp-" + gone + "-12"),
                                          root / ("config.json.tmp-" + gone + "-3"),
                                          root / "trust" / ("timestamp.json.tmp-" + gone + "-77")};
  const std::vector<stdfs::path> kept = {root / (".pending.tmp-" + alive + "-5"), root / "notes.tmp-x-1",
                                         root / "logs" / ("other.log.tmp-" + gone + "-1")};
  for (const auto& f : stale) write_text(f, "partial");
  for (const auto& f : kept) write_text(f, "partial");
  write_text(root / ".pending", "");  // the slow path sweeps
  CHECK(run_ok({app.launcher().string(), "--version"}).out == "mainapp 1.0.0\n");
  for (const auto& f : stale) CHECK_FALSE(stdfs::exists(f));
  for (const auto& f : kept) CHECK(stdfs::exists(f));
}

namespace {

// `n` launchers started at the same moment with `args`: each shell opens
// the FIFO, says "ready", and blocks reading one line; once all are ready
// the test writes n lines in one write(), and they go together. Returns
// what each printed (stdout, its last line the app's) and its exit code.
struct Launch {
  std::string out, err;
  int exit_code = -1;
};
std::vector<Launch> launch_together(const std::string& launcher, const std::vector<std::string>& args, int n) {
  TempDir dir;
  const stdfs::path fifo = dir / "go";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  const int hold = open(fifo.c_str(), O_RDWR);  // never blocks, and keeps the FIFO open for every reader
  REQUIRE(hold >= 0);
  std::string command = "\"$1\"";
  for (const auto& a : args) command += " '" + a + "'";
  std::vector<std::unique_ptr<BackgroundProcess>> shells;
  for (int i = 0; i < n; ++i) {
    const std::string err = (dir / ("err-" + std::to_string(i))).string();
    shells.push_back(std::make_unique<BackgroundProcess>(std::vector<std::string>{
        "/bin/sh", "-c", "exec 3<\"$0\"; echo ready; read x <&3; exec 3<&-; " + command + " 2>\"$2\"; echo \"exit $?\"",
        fifo.string(), launcher, err}));
  }
  for (auto& s : shells) REQUIRE(s->read_line() == "ready");
  std::string go;
  for (int i = 0; i < n; ++i) go += "go\n";
  REQUIRE(write(hold, go.data(), go.size()) == static_cast<ssize_t>(go.size()));
  std::vector<Launch> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    std::string line = shells[i]->read_line();
    for (; line.rfind("exit ", 0) != 0; line = shells[i]->read_line()) out[i].out += line + "\n";
    out[i].exit_code = std::stoi(line.substr(5));
    shells[i]->stop(0);
    out[i].err = read_text(dir / ("err-" + std::to_string(i)));
  }
  close(hold);
  return out;
}

}  // namespace

TEST_CASE("launchers started together, each checking on start, all start the new version and record nothing wrong",
          "[heal][race][integration]") {
  OneInstall one;
  VendorRepo& vendor = one.vendor;
  Installed& app = one.app;
  // Every check on start runs to its end, however slow this machine: each launcher then starts the new version.
  Json config = Json::parse(read_text(app.prefix() / "config.json"), "config.json");
  config["check_on_start_deadline_seconds"] = 600;
  write_text(app.prefix() / "config.json", config.dump());
  for (const std::string v : {"2.0.0", "3.0.0"}) {
    CAPTURE(v);
    vendor.release(vendor.build_folder(v), v);
    // Each launcher runs the updater (which stages v) and then applies what is staged: the one race.
    const std::vector<Launch> launches =
        launch_together(app.launcher().string(), {"--upkeep-check-now", "--version"}, 6);
    for (const auto& l : launches) {
      INFO("stdout:\n" << l.out << "\nstderr:\n" << l.err);
      CHECK(l.exit_code == 0);
      CHECK(l.out.substr(l.out.rfind("mainapp ")) == "mainapp " + v + "\n");
      CHECK_FALSE(contains(l.err, "error"));
      CHECK_FALSE(contains(l.err, "not newer"));
    }
    const Json status = app.status();
    CHECK(status.get_string("current") == v);
    CHECK(state_in(status, v) == "good");
    CHECK(status.get_array("failures").empty());
    CHECK(run_ok({app.launcher().string(), "--version"}).out == "mainapp " + v + "\n");
  }
}
