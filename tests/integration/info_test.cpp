// `upkeep info`: what a repository says about itself, through the real
// programs: a vendor's shell-script app released on two channels, served by
// `upkeep serve`, read with the vendor's pinned root, on first use, and
// through an installation (its repository, trusted root and mirrors).
#include "release_fixture.h"
#include "unit/fileinfo/program_fixtures.h"
#include "upkeep/base/hash.h"

using namespace upkeep::test;
using upkeep::Json;

namespace {

struct TwoChannels {
  TwoChannels() {
    stdfs::path v1 = vendor.script_build_folder("1.0.0", "echo one\n");
    write_text(v1 / "data" / "table.csv", "a,b\n1,2\n");
    vendor.release(v1, "1.0.0", "First release.");
    stdfs::path v2 = vendor.script_build_folder("2.0.0", "echo two\n");
    write_text(v2 / "data" / "table.csv", "a,b\n1,2\n3,4\n");
    vendor.release(v2, "2.0.0", "Second release: a bigger table.");
    vendor.release(vendor.script_build_folder("2.1.0-beta.1", "echo beta\n"), "2.1.0-beta.1", "Try me.",
                   {"--channel", "beta"});
  }
  std::vector<std::string> info(const std::vector<std::string>& extra) const {
    std::vector<std::string> argv{program("upkeep").string(), "info"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
  VendorRepo vendor;
  RepoServerProcess server{vendor.repo()};
};

const Json& release_on(const Json& report, const std::string& channel) {
  for (const auto& r : report.at("signed").get_array("releases"))
    if (r.get_string("channel") == channel) return r;
  FAIL("no release on channel " << channel << " in " << report.dump(0));
  throw;
}

}  // namespace

TEST_CASE("upkeep info shows the newest signed release per channel with its modules, apart from the server's word",
          "[info][integration]") {
  TwoChannels t;
  RunResult r = run_ok(t.info({t.server.url, "--trusted-root", t.vendor.root_json().string(), "--json"}));
  const Json report = Json::parse(r.out, "upkeep info --json");
  CHECK(report.get_string("url") == t.server.url);
  CHECK_FALSE(report.get_bool("trusted_on_first_use"));
  const Json& meta = report.at("signed").at("metadata");
  CHECK(meta.get_int("timestamp_version") >= 3);  // one per release
  CHECK(meta.get_int("root_version") == 1);
  CHECK(meta.get_string("timestamp_expires") > meta.get_string("timestamp_expires").substr(0, 0));
  REQUIRE(report.at("signed").get_array("releases").size() == 2);

  const Json& stable = release_on(report, "stable");
  CHECK(stable.get_string("version") == "2.0.0");
  CHECK(stable.get_string("notes") == "Second release: a bigger table.");
  CHECK(stable.get_string("app_id") == "demo");
  CHECK_FALSE(stable.get_string("released").empty());
  CHECK(stable.get_int("package_size") == static_cast<int64_t>(stdfs::file_size(t.vendor.package_file("2.0.0"))));
  // Each module with its signed size and hash, as built.
  const stdfs::path build = t.vendor.dir().path() / "build-2.0.0";
  int seen = 0;
  for (const auto& m : stable.get_array("modules")) {
    const std::string text = read_text(build / m.get_string("path"));
    CHECK(m.get_int("size") == static_cast<int64_t>(text.size()));
    CHECK(m.get_string("sha256") == upkeep::sha256_hex(text));
    ++seen;
  }
  CHECK(seen == 2);  // mainapp and data/table.csv
  CHECK(release_on(report, "beta").get_string("version") == "2.1.0-beta.1");

  // The server's word is apart, and says what the server said.
  const Json& server = report.at("unsigned").at("server");
  CHECK(server.get_string("answered") == t.server.url + "metadata/timestamp.json");
  CHECK_FALSE(server.get_string("date").empty());
}

TEST_CASE("upkeep info says when it trusted the first root on first use, and reads in words by default",
          "[info][integration]") {
  TwoChannels t;
  RunResult r = run_ok(t.info({t.server.url}));
  CHECK(r.out.find("trusted on first use") != std::string::npos);
  CHECK(r.out.find("signed (") != std::string::npos);
  CHECK(r.out.find("unsigned (the server's own word") != std::string::npos);
  CHECK(r.out.find("demo 2.0.0") != std::string::npos);
  CHECK(r.out.find("notes: Second release: a bigger table.") != std::string::npos);
  CHECK(r.out.find("data/table.csv") != std::string::npos);
}

TEST_CASE("upkeep info refuses metadata that does not verify, with JSON on failure", "[info][integration]") {
  TwoChannels t;
  const stdfs::path ts = t.vendor.repo() / "metadata" / "timestamp.json";
  Json doc = Json::parse(read_text(ts), "timestamp.json");
  doc["signed"]["version"] = doc.at("signed").get_int("version") + 1;  // still JSON, no longer what was signed
  write_text(ts, doc.dump(0));
  RunResult r = run(t.info({t.server.url, "--trusted-root", t.vendor.root_json().string(), "--json"}));
  CHECK(r.exit_code == 5);
  const Json failure = Json::parse(r.out, "upkeep info --json on failure");
  CHECK(failure.at("error").get_int("code") == 5);
  CHECK(failure.at("error").get_string("name") == "verification");
  CHECK(failure.at("error").get_string("message").find("timestamp") != std::string::npos);
}

TEST_CASE("upkeep info reads an installation's repository, trusted root and mirrors", "[info][integration]") {
  TwoChannels t;
  Installed app(t.server.url, t.vendor.root_json(), "1.0.0");
  edit_config(app.prefix(), [](upkeep::Config& c) { c.mirror_urls = {"http://127.0.0.1:9/"}; });
  auto listing = [&] {
    std::map<std::string, stdfs::file_time_type> files;
    for (const auto& e : stdfs::directory_iterator(app.prefix() / "trust"))
      files[e.path().filename().string()] = e.last_write_time();
    return files;
  };
  const auto trust_before = listing();
  t.vendor.release(t.vendor.script_build_folder("2.0.1", "echo fix\n"), "2.0.1");  // new metadata to verify
  RunResult r = run_ok(t.info({"--prefix", app.prefix().string(), "--json"}));
  const Json report = Json::parse(r.out, "upkeep info --prefix --json");
  CHECK(report.get_string("url") == t.server.url);
  CHECK_FALSE(report.get_bool("trusted_on_first_use"));
  REQUIRE(report.get_array("mirrors").size() == 1);
  CHECK(report.get_array("mirrors")[0].as_string() == "http://127.0.0.1:9/");
  // 2.0.1 and a new timestamp were verified in a copy: the installation's own trust cache is as it was.
  CHECK(release_on(report, "stable").get_string("version") == "2.0.1");
  CHECK(listing() == trust_before);
}

TEST_CASE("upkeep info needs a repository to ask", "[info][integration]") {
  RunResult r = run({program("upkeep").string(), "info"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("needs URL") != std::string::npos);
  RunResult none = run({program("upkeep").string(), "info", "--prefix", "/nonexistent/app", "--json"});
  CHECK(none.exit_code == 9);
  CHECK(Json::parse(none.out, "info --json").at("error").get_int("code") == 9);
}

TEST_CASE("upkeep info shows the version release read from each program file of a script app's release",
          "[info][integration]") {
  VendorRepo vendor;
  const stdfs::path build = vendor.script_build_folder("unused", "echo hi\n");
  write_text(build / "VERSION", "3.4.5\n");
  const stdfs::path made = vendor.dir().path() / "mingw";
  stdfs::create_directories(made);
  stdfs::create_directories(build / "win");
  stdfs::copy_file(mingw_program(made, "helper.exe", version_rc()), build / "win" / "helper.exe");
  // No --version: the script app's VERSION file says it.
  std::vector<std::string> argv = vendor.release_argv(build, "unused");
  argv.erase(argv.begin() + 3, argv.begin() + 5);  // "--version", "unused"
  argv.insert(argv.end(), {"--version-from", "VERSION", "--program", "mainapp"});
  RunResult released = run_ok(argv);
  CHECK(released.out.find("version 3.4.5 from VERSION (text, the first line)") != std::string::npos);
  RepoServerProcess server(vendor.repo());
  RunResult r = run_ok({program("upkeep").string(), "info", server.url, "--json"});
  const Json report = Json::parse(r.out, "upkeep info --json");
  const Json& release = release_on(report, "stable");
  CHECK(release.get_string("version") == "3.4.5");
  std::map<std::string, std::string> versions;
  for (const auto& m : release.get_array("modules")) versions[m.get_string("path")] = m.get_string_or("version", "");
  CHECK(versions.at("win/helper.exe") == "2.0.0-rc.1");  // the exe's ProductVersion string
  CHECK(versions.at("mainapp").empty());                 // a script states none
  CHECK(versions.at("VERSION").empty());                 // text files are not modules with versions
}
