// webui_fixture: WebUiServer over a scripted WebUiModel, for the browser
// tests (tests/browser/*.mjs) and the screenshots. It prints
// `url http://127.0.0.1:PORT/?token=...`, then reads commands on stdin, one
// per line, and answers each with `ok <revision>` (or `error <why>`):
//
//   set {"phase":"downloading","version":"2.0.0","bytes_done":1000,...}
//       changes the named fields of the state (phase and prompt by name;
//       "restart_in": seconds from now to the forced deadline) as one change
//   reset                    back to the state at start
//   handover VERSION         starts a copy of this program serving the same
//                            socket and token as running version VERSION,
//                            waits until it serves, then stops and exits (a
//                            zero-downtime restart, as an app does at "Restart to update")
//   quit
//
// A copy started by `handover` serves on after its stdin closes, until SIGTERM.
// Every click the model receives is printed as `action <name>`.
// Options: --app-name NAME, --running VERSION, --token T, --listen-fd N
// (a listening socket to serve; default: one of its own on 127.0.0.1:0).
#include <Poco/Net/ServerSocket.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "upkeep/base/json.h"
#include "upkeep/embed/update_state.h"
#include "upkeep/platform/health_channel.h"
#include "upkeep/platform/process.h"
#include "upkeep/webui/web_ui_server.h"
#include "webui_scripted_model.h"

using namespace upkeep;
using namespace upkeep::webui;
using upkeep::test::ScriptedModel;

namespace {

std::mutex out_mutex;
void say(const std::string& line) {
  std::lock_guard lock(out_mutex);
  std::cout << line << std::endl;
}

struct Args {
  std::string self;
  std::string app_name = "Demo App";
  std::string running = "1.0.0";
  std::string token;
  std::optional<int> listen_fd;
  bool handed_over = false;  // started by `handover`
};

constexpr std::chrono::seconds kCopyLifetime{120};

Args parse(int argc, char** argv) {
  Args a;
  a.self = argv[0];
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string opt = argv[i], value = argv[i + 1];
    if (opt == "--app-name")
      a.app_name = value;
    else if (opt == "--running")
      a.running = value;
    else if (opt == "--token")
      a.token = value;
    else if (opt == "--listen-fd")
      a.listen_fd = std::stoi(value);
    else if (opt == "--handed-over")
      a.handed_over = value == "1";
    else
      fail(ErrorCode::kUsage, "unknown option " + opt);
  }
  return a;
}

// Starts a copy of this program on the same socket and token, and waits until it serves.
void hand_over(const Args& args, const WebUiServer& server, int socket_fd, const std::string& version) {
  HealthChannel ready;
  process::SpawnOptions spawn;
  spawn.argv = {args.self,      "--app-name",  args.app_name, "--running",     version, "--token",
                server.token(), "--listen-fd", "3",           "--handed-over", "1"};
  spawn.env = process::current_environment();
  spawn.env["UPKEEP_HEALTH_FD"] = std::to_string(ready.child_fd_number());
  spawn.move_fds = {{socket_fd, 3}, {ready.child_fd(), ready.child_fd_number()}};
  const int64_t pid = process::spawn(spawn);
  ready.close_child_end();
  auto result = ready.wait(pid, std::chrono::seconds(20));
  if (result.outcome != HealthChannel::Outcome::kConfirmed) fail(ErrorCode::kFailure, "the new copy did not start");
}

}  // namespace

int main(int argc, char** argv) try {
  spdlog::set_level(spdlog::level::warn);
  Args args = parse(argc, argv);
  UpdateState initial;
  initial.phase = UpdateState::Phase::kUpToDate;
  initial.running_version = args.running;
  ScriptedModel model(initial, [](WebUiAction a) { say(std::string("action ") + action_name(a)); });
  WebUiServer::Options options;
  options.app_name = args.app_name;
  options.token = args.token;
  // Like an app that hands its sockets over at a restart, the fixture owns the socket the UI serves.
  Poco::Net::ServerSocket own_socket;
  if (!args.listen_fd) {
    own_socket = Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0), 16);
    args.listen_fd = own_socket.impl()->sockfd();
  }
  options.listen_fd = args.listen_fd;
  WebUiServer server(model, options);
  server.start();
  say("url " + server.url());
  report_healthy_to_launcher();  // a copy started by `handover` serves now
  std::string line;
  while (std::getline(std::cin, line)) {
    try {
      const std::string command = line.substr(0, line.find(' '));
      const std::string rest = line.size() > command.size() ? line.substr(command.size() + 1) : "";
      if (command == "quit") break;
      if (command == "set")
        say("ok " + std::to_string(model.set(Json::parse(rest, "set"))));
      else if (command == "reset")
        say("ok " + std::to_string(model.reset()));
      else if (command == "handover") {
        hand_over(args, server, *args.listen_fd, rest);
        server.stop();
        return 0;
      } else
        say("error unknown command " + command);
    } catch (const std::exception& e) {
      say(std::string("error ") + e.what());
    }
  }
  // A copy started by `handover` shares its parent's stdin, which the test
  // harness closes once the parent exits: it serves on until SIGTERM (at most kCopyLifetime).
  if (args.handed_over) std::this_thread::sleep_for(kCopyLifetime);
  server.stop();
  return 0;
} catch (const std::exception& e) {
  std::cerr << "webui_fixture: " << e.what() << "\n";
  return 1;
}
