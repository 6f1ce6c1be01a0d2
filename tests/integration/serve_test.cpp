// `upkeep serve` as a real process: the port line, a real GET, a clean stop on SIGTERM.
#include <signal.h>

#include <catch2/catch.hpp>
#include <regex>
#include <string>

#include "test_support.h"
#include "upkeep/base/error.h"
#include "upkeep/net/http_fetcher.h"

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

  upkeep::net::HttpFetcher fetcher;
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

TEST_CASE("curl sees ranges, validators and lengths from upkeep serve as from any web server", "[serve][integration]") {
  REQUIRE(std::filesystem::exists("/usr/bin/curl"));  // installed by scripts/setup.sh
  TempDir dir;
  std::string body;
  for (int i = 0; i < 1000; ++i) body += static_cast<char>('a' + i % 26);
  write_text(dir / "repo/metadata/7.targets.json", body);
  BackgroundProcess server(serve({(dir / "repo").string(), "--port", "0"}));
  std::string line = server.read_line();
  std::string url = line.substr(line.rfind(" at ") + 4) + "metadata/7.targets.json";
  auto curl = [](std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/curl", "-sS"});
    return upkeep::test::run(args);
  };

  auto range = curl({"-r", "10-19", url});
  CHECK(range.exit_code == 0);
  CHECK(range.out == body.substr(10, 10));

  auto head = curl({"-I", url});
  CHECK(head.out.find("Content-Length: 1000") != std::string::npos);
  CHECK(head.out.find("Accept-Ranges: bytes") != std::string::npos);
  auto etag_at = head.out.find("ETag: ");
  REQUIRE(etag_at != std::string::npos);
  std::string etag = head.out.substr(etag_at + 6, head.out.find('\r', etag_at) - etag_at - 6);

  auto cached = curl({"-o", "/dev/null", "-w", "%{http_code}", "-H", "If-None-Match: " + etag, url});
  CHECK(cached.out == "304");
  auto resumed = curl({"-C", "990", url});
  CHECK(resumed.out == body.substr(990));
  auto past_end = curl({"-o", "/dev/null", "-w", "%{http_code}", "-r", "5000-", url});
  CHECK(past_end.out == "416");
}
