// `upkeep serve` as a real process: the port line, a real GET, a clean stop on SIGTERM.
#include <signal.h>

#include <catch2/catch.hpp>
#include <regex>
#include <string>

#include "error.h"
#include "net/http_fetcher.h"
#include "test_support.h"

using upkeep::test::BackgroundProcess;
using upkeep::test::program;
using upkeep::test::TempDir;
using upkeep::test::write_text;

namespace {

std::vector<std::string> serve(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {program("upkeep").string(), "serve"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

TEST_CASE("upkeep serve prints its address, serves the repository and stops on SIGTERM", "[serve]") {
  TempDir dir;
  const std::string repo = (dir / "repo").string();
  write_text(dir / "repo/metadata/timestamp.json", "{\"version\":3}");

  BackgroundProcess server(serve({repo, "--port", "0"}));
  const std::string line = server.read_line() + "\n";
  std::smatch m;
  REQUIRE(std::regex_match(line, m, std::regex("serving (.*) at http://127\\.0\\.0\\.1:([0-9]+)/\n")));
  CHECK(m[1] == repo);
  const std::string base = "http://127.0.0.1:" + m[2].str();

  upkeep::HttpFetcher fetcher;
  CHECK(fetcher.get(base + "/metadata/timestamp.json", 1000) == "{\"version\":3}");
  CHECK_FALSE(fetcher.get_if_exists(base + "/metadata/1.root.json", 1000).has_value());

  CHECK(server.stop(SIGTERM) == 0);
  CHECK_THROWS_AS(fetcher.get(base + "/metadata/timestamp.json", 1000), upkeep::Error);
}

TEST_CASE("upkeep serve stops cleanly on SIGINT too", "[serve]") {
  TempDir dir;
  write_text(dir / "repo/metadata/root.json", "{}");
  BackgroundProcess server(serve({(dir / "repo").string(), "--port=0", "--host", "127.0.0.1"}));
  REQUIRE(server.read_line().rfind("serving ", 0) == 0);
  CHECK(server.stop(SIGINT) == 0);
}

TEST_CASE("upkeep serve refuses a folder that is not a repository", "[serve]") {
  TempDir dir;
  auto r = upkeep::test::run({program("upkeep").string(), "serve", dir.path().string(), "--port", "0"});
  CHECK(r.exit_code == static_cast<int>(upkeep::ErrorCode::kNotFound));
  CHECK(r.err.find("not a repository (no metadata/ folder)") != std::string::npos);
  CHECK(r.out.empty());

  auto usage = upkeep::test::run({program("upkeep").string(), "serve", dir.path().string(), "--port", "70000"});
  CHECK(usage.exit_code == static_cast<int>(upkeep::ErrorCode::kUsage));
}
