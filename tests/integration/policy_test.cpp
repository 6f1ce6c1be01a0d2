// Managed policy through the real programs: a policy folder (given by
// UPKEEP_POLICY_DIR) that disables updates stops upkeep-updater and
// `launcher --upkeep-check-now` from checking; a policy repository_url sends
// the updater to a second real server; `launcher --upkeep-status` shows each
// setting's value and source, and a rejected policy file.
#include <catch2/catch.hpp>

#include "release_fixture.h"
#include "upkeep/base/json.h"

using namespace upkeep;
using namespace upkeep::test;

namespace {

RunResult run_updater(const Installed& app, const std::map<std::string, std::string>& env = {}) {
  return run({(app.prefix() / "upkeep-updater").string(), "--root", app.prefix().string()}, env);
}

Json status_json(const Installed& app, const std::map<std::string, std::string>& env) {
  return Json::parse(run_ok({app.launcher().string(), "--upkeep-status", "--upkeep-json"}, env).out,
                     "launcher --upkeep-status --upkeep-json");
}

}  // namespace

TEST_CASE("a policy with update_mode disabled stops the updater and --upkeep-check-now from checking",
          "[policy][integration]") {
  InstalledWithPolicy w;
  auto& [vendor, released, server, app, policy] = w;
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  policy.write("10-updates-off.json", R"({"update_mode": "disabled"})");

  RunResult u = run_updater(app, policy.env());
  INFO(u.out << u.err);
  CHECK(u.exit_code == 0);
  CHECK(contains(u.out, "updates are disabled by managed policy (policy " + policy.file("10-updates-off.json") + ")"));
  CHECK_FALSE(contains(u.out, "found version 2.0.0"));
  CHECK(app.status().get_array("staged").empty());
  CHECK_FALSE(stdfs::exists(app.prefix() / "staging" / "2.0.0.package.zip"));

  RunResult l = run({app.launcher().string(), "--upkeep-check-now", "--version"}, policy.env());
  CHECK(l.exit_code == 0);
  CHECK(l.out == "mainapp 1.0.0\n");  // no "checking for updates..."
  CHECK(app.current() == "versions/1.0.0");

  // The same install without the policy does update: what stopped it was the policy.
  RunResult free = run_updater(app);
  INFO(free.out << free.err);
  CHECK(free.exit_code == 0);
  CHECK(contains(free.out, "version 2.0.0 downloaded, verified and staged"));
}

TEST_CASE("a policy repository_url sends the updater to a second real server", "[policy][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  // The configured server keeps a copy of the repository from before 2.0.0; the mirror has 2.0.0.
  stdfs::path old_copy = vendor.dir() / "old-repo";
  stdfs::copy(vendor.repo(), old_copy, stdfs::copy_options::recursive);
  RepoServerProcess configured(old_copy);
  Installed app(configured.url, vendor.root_json(), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  RepoServerProcess mirror(vendor.repo());
  REQUIRE(configured.url != mirror.url);

  RunResult before = run_updater(app);
  INFO(before.out << before.err);
  CHECK(before.exit_code == 0);
  CHECK(contains(before.out, "up to date (1.0.0)"));

  PolicyDir policy;
  policy.write("50-mirror.json", R"({"repository_url": ")" + mirror.url + R"("})");
  RunResult after = run_updater(app, policy.env());
  INFO(after.out << after.err);
  CHECK(after.exit_code == 0);
  CHECK(contains(after.out, "version 2.0.0 downloaded, verified and staged"));
  CHECK(app.state_of("2.0.0") == "staged");

  Json s = status_json(app, policy.env());
  CHECK(s["settings"]["repository_url"]["value"] == Json(mirror.url));
  CHECK(s["settings"]["repository_url"]["source"] == Json("policy"));
  CHECK(s["settings"]["repository_url"]["origin"] == Json(policy.file("50-mirror.json")));
}

TEST_CASE("launcher --upkeep-status shows each setting's value and where it came from", "[policy][integration]") {
  InstalledWithPolicy w;
  auto& [vendor, released, server, app, policy] = w;
  policy.write("10-fleet.json", R"({"check_interval_minutes": 5, "target_version_prefix": "1.", "channel": "beta"})");
  policy.write("20-site.json", R"({"channel": "stable", "quiet_hours": "22:00-06:00", "restart_prompt": "forced",
                                   "restart_deadline_hours": 8})");
  auto env = policy.env();
  env["http_proxy"] = "http://proxy.invalid:3128";

  Json s = status_json(app, env);
  Json& set = s["settings"];
  CHECK(set["update_mode"]["value"] == Json("automatic"));
  CHECK(set["update_mode"]["source"] == Json("default"));
  CHECK(set["channel"]["value"] == Json("stable"));
  CHECK(set["channel"]["origin"] == Json(policy.file("20-site.json")));
  CHECK(set["check_interval_minutes"]["value"] == Json(60));
  CHECK(set["check_interval_minutes"]["origin"] == Json(policy.file("10-fleet.json")));
  CHECK(set["check_interval_minutes"]["note"] == Json("raised from 5 to the floor of 60"));
  CHECK(set["quiet_hours"]["value"] == Json("22:00-06:00"));
  CHECK(set["restart_prompt"]["value"] == Json("forced"));
  CHECK(set["restart_deadline_hours"]["value"] == Json(8));
  CHECK(set["repository_url"]["source"] == Json("config"));
  CHECK(set["repository_url"]["origin"] == Json((app.prefix() / "config.json").string()));
  CHECK(set["proxy"]["value"] == Json("http://proxy.invalid:3128"));
  CHECK(set["proxy"]["source"] == Json("environment"));
  CHECK(set["proxy"]["origin"] == Json("http_proxy"));
  CHECK(s["policy"]["folder"] == Json(policy.folder().string()));
  CHECK(s["policy"]["folder_source"] == Json("environment UPKEEP_POLICY_DIR"));
  CHECK(s["policy"]["files"].as_array().size() == 2);
  CHECK(s["policy"]["errors"].as_array().empty());

  std::string text = run_ok({app.launcher().string(), "--upkeep-status"}, env).out;
  CHECK(contains(text, "settings:\n"));
  CHECK(contains(text, "(policy " + policy.file("20-site.json") + ")"));
  CHECK(contains(text, "(policy " + policy.file("10-fleet.json") + "; raised from 5 to the floor of 60)"));
  CHECK(contains(text, "(environment http_proxy)"));
  CHECK(contains(text, "managed policy folder: " + policy.folder().string() + " (environment UPKEEP_POLICY_DIR)"));
}

TEST_CASE("a bad policy file is reported by status and the updater, and the other files still apply",
          "[policy][integration]") {
  InstalledWithPolicy w;
  auto& [vendor, released, server, app, policy] = w;
  policy.write("10-good.json", R"({"check_interval_minutes": 720})");
  policy.write("20-bad.json", R"({"update_mode": "never", "channel": "beta"})");

  Json s = status_json(app, policy.env());
  REQUIRE(s["policy"]["errors"].as_array().size() == 1);
  const Json& e = s["policy"]["errors"].as_array()[0];
  CHECK(e.get_string("file") == policy.file("20-bad.json"));
  CHECK(e.get_string("error") == policy.file("20-bad.json") +
                                     ": key 'update_mode': expected one of \"automatic\", \"download_only\", "
                                     "\"manual\", \"disabled\", found 'never'");
  CHECK(s["settings"]["check_interval_minutes"]["value"] == Json(720));  // the good file applies
  CHECK(s["settings"]["channel"]["source"] == Json("default"));          // none of the bad file does
  CHECK(s["settings"]["update_mode"]["value"] == Json("automatic"));

  std::string text = run_ok({app.launcher().string(), "--upkeep-status"}, policy.env()).out;
  CHECK(contains(text, "REJECTED " + policy.file("20-bad.json") + ": key 'update_mode'"));

  RunResult u = run_updater(app, policy.env());
  CHECK(u.exit_code == 0);
  CHECK(contains(u.err, policy.file("20-bad.json")));
}

TEST_CASE("download_only: the update is staged but applied only when the user restarts to update",
          "[policy][integration]") {
  InstalledWithPolicy w;
  auto& [vendor, released, server, app, policy] = w;
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  policy.write("10-ask.json", R"({"update_mode": "download_only"})");

  RunResult r = run({app.launcher().string(), "--upkeep-check-now", "--version"}, policy.env());
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.err, "version 2.0.0 downloaded, verified and staged"));
  CHECK(contains(r.out, "mainapp 1.0.0\n"));
  CHECK(app.current() == "versions/1.0.0");
  CHECK(app.state_of("2.0.0") == "staged");

  // "Restart to update": the old program has exited (a reaped child stands in for it;
  // its line shows it ran the program, so the signal of stop() reaches no copy of this test).
  BackgroundProcess old_program({"/bin/echo", "old program"});
  REQUIRE(old_program.read_line() == "old program");
  int pid = old_program.pid();
  old_program.stop();
  RunResult restarted =
      run({app.launcher().string(), "--upkeep-after-pid", std::to_string(pid), "--version"}, policy.env());
  INFO(restarted.out << restarted.err);
  CHECK(restarted.exit_code == 0);
  CHECK(restarted.out == "mainapp 2.0.0\n");
  CHECK(app.current() == "versions/2.0.0");
}

TEST_CASE("rollback_to_target_version takes an install back to the newest release matching the prefix",
          "[policy][integration]") {
  InstalledWithPolicy w;
  auto& [vendor, released, server, app, policy] = w;
  vendor.release(vendor.build_folder("1.1.0"), "1.1.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  CHECK(contains(run_ok({app.launcher().string(), "--upkeep-check-now", "--version"}).out, "mainapp 2.0.0\n"));
  REQUIRE(app.current() == "versions/2.0.0");

  // A prefix alone keeps 2.0.0: nothing older is offered.
  policy.write("10-line.json", R"({"target_version_prefix": "1."})");
  RunResult kept = run({app.launcher().string(), "--upkeep-check-now", "--version"}, policy.env());
  INFO(kept.out << kept.err);
  CHECK(kept.out == "mainapp 2.0.0\n");
  CHECK(kept.err == "checking for updates...\nup to date (2.0.0)\n");

  policy.write("20-rollback.json", R"({"rollback_to_target_version": true})");
  RunResult back = run({app.launcher().string(), "--upkeep-check-now", "--version"}, policy.env());
  INFO(back.out << back.err);
  CHECK(back.exit_code == 0);
  CHECK(contains(back.err, "found version 1.1.0"));
  CHECK(contains(back.out, "mainapp 1.1.0\n"));
  CHECK(app.current() == "versions/1.1.0");
  CHECK(app.state_of("1.1.0") == "good");

  // Inside the prefix now: 2.0.0 is not offered again, and nothing older either.
  RunResult settled = run({app.launcher().string(), "--upkeep-check-now", "--version"}, policy.env());
  CHECK(settled.out == "mainapp 1.1.0\n");
  CHECK(settled.err == "checking for updates...\nup to date (1.1.0)\n");
}

TEST_CASE("upkeep install --app-id follows the machine's policy: its repository, channel and version prefix",
          "[policy][integration]") {
  VendorRepo vendor;
  for (const char* v : {"1.0.0", "1.1.0", "2.0.0"}) vendor.release(vendor.build_folder(v), v);
  RepoServerProcess server(vendor.repo());
  PolicyDir policy;
  policy.write("10-fleet.json", R"({"repository_url": ")" + server.url + R"(", "target_version_prefix": "1."})");
  policy.write("20-typo.json", R"({"chanel": "beta"})");  // rejected whole, reported, the other file applies
  TempDir target;
  auto install = [&](const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> argv{program("upkeep").string(),
                                  "install",
                                  "--app-id",
                                  "demo",
                                  "--prefix",
                                  (target / name).string(),
                                  "--trusted-root",
                                  vendor.root_json().string(),
                                  "--no-shortcut"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv, policy.env());
  };

  RunResult r = install("fleet", {});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "installed demo 1.1.0"));  // the newest 1.x, not 2.0.0
  CHECK(contains(r.err, "20-typo.json"));
  CHECK(contains(r.err, "chanel"));
  const Json config = Json::parse(read_text(target / "fleet" / "config.json"), "config.json");
  CHECK(config.get_string("repository") == server.url);

  // An explicit version wins over the prefix.
  RunResult exact = install("exact", {"--version", "2.0.0"});
  REQUIRE(exact.exit_code == 0);
  CHECK(contains(exact.out, "installed demo 2.0.0"));

  // A prefix no release matches: exit 9, naming the prefix, nothing installed.
  policy.write("30-line.json", R"({"target_version_prefix": "3."})");
  RunResult none = install("none", {});
  CHECK(none.exit_code == 9);
  CHECK(contains(none.err, "target_version_prefix '3.'"));
  CHECK_FALSE(stdfs::exists(target / "none"));

  // Without a policy naming a repository, --repo is still needed.
  RunResult usage =
      run({program("upkeep").string(), "install", "--app-id", "other", "--prefix", (target / "other").string()},
          policy.env());
  CHECK(usage.exit_code == 2);
  CHECK(contains(usage.err, "repository_url"));
}
