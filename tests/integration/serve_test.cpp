// `upkeep serve` as a real process: the port line, a real GET, a clean stop on SIGTERM.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <regex>
#include <string>

#include "error.h"
#include "net/http_fetcher.h"
#include "test_support.h"

using upkeep::test::program;
using upkeep::test::TempDir;
using upkeep::test::write_text;

namespace {

// A started `upkeep serve`; killed with SIGKILL if the test fails before stopping it.
struct ServeProcess {
  pid_t pid = -1;
  int out = -1;

  explicit ServeProcess(const std::vector<std::string>& args) {
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    std::vector<std::string> argv = {program("upkeep").string(), "serve"};
    argv.insert(argv.end(), args.begin(), args.end());
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      dup2(fds[1], 1);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execv(cargv[0], cargv.data());
      _exit(127);
    }
    close(fds[1]);
    out = fds[0];
  }
  ~ServeProcess() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (out >= 0) close(out);
  }

  // The first stdout line, waiting at most 20 s for it.
  std::string first_line() {
    std::string line;
    char c;
    while (line.empty() || line.back() != '\n') {
      pollfd p{out, POLLIN, 0};
      if (poll(&p, 1, 20000) <= 0) break;
      if (read(out, &c, 1) != 1) break;
      line.push_back(c);
    }
    return line;
  }

  // Sends sig and returns the exit code (128 + signal when killed).
  int stop(int sig) {
    kill(pid, sig);
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

}  // namespace

TEST_CASE("upkeep serve prints its address, serves the repository and stops on SIGTERM", "[serve]") {
  TempDir dir;
  const std::string repo = (dir / "repo").string();
  write_text(dir / "repo/metadata/timestamp.json", "{\"version\":3}");

  ServeProcess serve({repo, "--port", "0"});
  const std::string line = serve.first_line();
  std::smatch m;
  REQUIRE(std::regex_match(line, m, std::regex("serving (.*) at http://127\\.0\\.0\\.1:([0-9]+)/\n")));
  CHECK(m[1] == repo);
  const std::string base = "http://127.0.0.1:" + m[2].str();

  upkeep::HttpFetcher fetcher;
  CHECK(fetcher.get(base + "/metadata/timestamp.json", 1000) == "{\"version\":3}");
  CHECK_FALSE(fetcher.get_if_exists(base + "/metadata/1.root.json", 1000).has_value());

  CHECK(serve.stop(SIGTERM) == 0);
  CHECK_THROWS_AS(fetcher.get(base + "/metadata/timestamp.json", 1000), upkeep::Error);
}

TEST_CASE("upkeep serve stops cleanly on SIGINT too", "[serve]") {
  TempDir dir;
  write_text(dir / "repo/metadata/root.json", "{}");
  ServeProcess serve({(dir / "repo").string(), "--port=0", "--host", "127.0.0.1"});
  REQUIRE(serve.first_line().rfind("serving ", 0) == 0);
  CHECK(serve.stop(SIGINT) == 0);
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
