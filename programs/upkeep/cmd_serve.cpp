// `upkeep serve REPO [--port P] [--host H]`: serves a repository folder over
// HTTP until SIGINT or SIGTERM. The one stdout line "serving REPO at
// http://HOST:PORT/" is the contract scripts and tests read the port from.
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "commands.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/net/repo_server.h"
#include "upkeep/platform/termination.h"
#include "upkeep/repository/repository_layout.h"

namespace upkeep::cli {

namespace {

CommandLine serve_command_line() {
  CommandLine c("upkeep serve",
                "Serves the repository folder REPO (the one holding metadata/ and targets/)\n"
                "over plain HTTP until interrupted (Ctrl-C or SIGTERM).");
  c.usage("upkeep serve REPO [--port P] [--host H]")
      .arguments("REPO", "the repository folder", 1, 1)
      .option("port", "P", "TCP port, default 8080; 0 picks a free one")
      .option("host", "H", "address to listen on, default 127.0.0.1");
  return c;
}

}  // namespace

int cmd_serve(const Args& args) {
  const ParsedArgs cli = serve_command_line().parse(args);
  const std::string repo = cli.positional().front();
  const auto port = static_cast<uint16_t>(cli.int_value_or("port", 8080, 0, 65535));
  const std::string host = cli.value_or("host", "127.0.0.1");
  std::error_code ec;
  if (!std::filesystem::is_directory(RepositoryLayout::metadata_dir(repo), ec))
    fail(ErrorCode::kNotFound, repo + ": not a repository (no metadata/ folder)");

  // Before the server starts its threads, so only the wait below sees the request.
  block_termination_requests();

  net::RepoServer server(repo, host, port);
  server.start();
  const std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::printf("serving %s at http://%s:%u/\n", repo.c_str(), shown_host.c_str(), static_cast<unsigned>(server.port()));
  std::fflush(stdout);

  spdlog::info("serve: {} received, stopping", wait_for_termination_request());
  server.stop();
  return 0;
}

}  // namespace upkeep::cli
