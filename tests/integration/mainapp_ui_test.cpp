// mainapp's faces (programs/mainapp/ui_face.h) through the real programs:
// the web UI's URL printed, served with its token only, opened with
// xdg-open when started without a terminal, and, on a restart to update,
// its socket and token handed over to the new version (the same URL answers
// 2.0.0).
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <limits>

#include "mainapp_fixture.h"
#include "upkeep/base/json.h"
#include "upkeep/platform/process.h"

using namespace upkeep::test;

namespace {

// "http://127.0.0.1:PORT/?token=T" -> PORT.
int port_of(const std::string& url) {
  REQUIRE(url.rfind("http://127.0.0.1:", 0) == 0);
  return std::stoi(url.substr(17));
}

std::string target_of(const std::string& url) { return url.substr(url.find('/', 7)); }

// A line "web UI: URL" in `out`; "" when none.
std::string url_in(const std::string& out) {
  size_t at = out.find("web UI: ");
  return at == std::string::npos ? "" : out.substr(at + 8, out.find('\n', at) - at - 8);
}

// An open page: GET /events with the token. first_state() reads the state
// event the server sends at connect ("" when none comes within 10 s); the
// stream stays open (a page showing the app) until the object goes.
class EventStream {
 public:
  EventStream(int port, const std::string& token) {
    socket_.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<uint16_t>(port)), Poco::Timespan(10, 0));
    socket_.setReceiveTimeout(Poco::Timespan(10, 0));
    std::string req = "GET /events?token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                      "\r\nAccept: text/event-stream\r\n\r\n";
    socket_.sendBytes(req.data(), static_cast<int>(req.size()));
  }
  std::string first_state() {
    std::string got;
    char buf[4096];
    while (got.find("data: ") == std::string::npos || got.find("\n\n", got.find("data: ")) == std::string::npos) {
      int n = socket_.receiveBytes(buf, sizeof buf);
      if (n <= 0) return "";
      got.append(buf, static_cast<size_t>(n));
    }
    size_t data = got.find("data: ") + 6;
    return got.substr(data, got.find('\n', data) - data);
  }

 private:
  Poco::Net::StreamSocket socket_;
};

// The status of GET `target` on 127.0.0.1:`port` (0: no answer).
int status_of(int port, const std::string& target) {
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<uint16_t>(port));
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, target, Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& body = session.receiveResponse(response);
    body.ignore(std::numeric_limits<std::streamsize>::max());
    return static_cast<int>(response.getStatus());
  } catch (const Poco::Exception&) {
    return 0;
  }
}

std::string token_of(const std::string& url) { return url.substr(url.find("token=") + 6); }

// The running version the web UI at `url` shows (its first state event).
std::string version_shown(const std::string& url) {
  EventStream events(port_of(url), token_of(url));
  auto j = upkeep::Json::parse(events.first_state(), "state event");
  return j.get_string("running_version");
}

// A fake xdg-open on PATH that writes its argument into a FIFO the test reads with a deadline.
struct FakeXdgOpen {
  FakeXdgOpen() {
    write_text(dir / "bin" / "xdg-open", "#!/bin/sh\nprintf '%s\\n' \"$1\" > " + fifo().string() + "\n");
    chmod((dir / "bin" / "xdg-open").c_str(), 0755);
    REQUIRE(mkfifo(fifo().c_str(), 0600) == 0);
    fd = open(fifo().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    REQUIRE(fd >= 0);
  }
  ~FakeXdgOpen() { close(fd); }
  stdfs::path fifo() const { return dir / "opened"; }
  std::string path() const { return (dir / "bin").string() + ":/usr/bin:/bin"; }
  // The URL it was given, or "" when it was not run within 30 s.
  std::string opened() const {
    std::string got;
    pollfd p{fd, POLLIN, 0};
    while (got.find('\n') == std::string::npos && poll(&p, 1, 30000) > 0) {
      char buf[512];
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    return got.substr(0, got.find('\n'));
  }
  TempDir dir;
  int fd = -1;
};

}  // namespace

TEST_CASE("mainapp's web UI answers its token only, and a restart to update hands its socket and token to 2.0.0",
          "[mainapp_ui][integration]") {
  InstalledWithPolicy w;
  TempDir data;
  w.vendor.release(w.vendor.build_folder("2.0.0"), "2.0.0");
  // headless: at quit, with 2.0.0 staged, it restarts into it; the new one keeps running.
  BackgroundProcess app({w.app.launcher().string(), "--ui", "web", "--no-browser", "--headless"}, mainapp_env(w, data));
  std::string url = read_until(app, "web UI: ");
  int port = port_of(url);
  CHECK(status_of(port, target_of(url)) == 200);
  CHECK(version_shown(url) == "1.0.0");
  CHECK(status_of(port, "/") == 403);
  CHECK(status_of(port, "/?token=" + std::string(32, '0')) == 403);
  read_until(app, "version 2.0.0 downloaded, verified and staged");

  kill(app.pid(), SIGTERM);  // quit: the hand-over starts; 1.0.0 serves until 2.0.0 is ready
  int pid2 = read_running_pid(app, "2.0.0");
  CHECK(read_until(app, "web UI: ") == url);  // the same socket and token
  CHECK(app.stop(0) == 0);                    // 1.0.0 ended (exit 0) once the launcher released it
  CHECK(status_of(port, target_of(url)) == 200);
  CHECK(version_shown(url) == "2.0.0");
  CHECK(w.app.state_of("2.0.0") == "good");
  end_restarted(pid2);
}

TEST_CASE("mainapp started without a terminal opens its web UI with xdg-open, and not with --no-browser or --ui none",
          "[mainapp_ui][integration]") {
  InstalledWithPolicy w;
  TempDir data;
  FakeXdgOpen xdg;
  auto env = mainapp_env(w, data);
  env["DISPLAY"] = ":0";
  env["PATH"] = xdg.path();

  // No --ui: standard input and output are not terminals, so the web face.
  RunResult r = run({w.app.launcher().string(), "--exit-after-check"}, env);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  std::string url = url_in(r.out);
  CHECK(contains(url, "/?token="));
  CHECK(xdg.opened() == url);

  RunResult quiet = run({w.app.launcher().string(), "--exit-after-check", "--no-browser"}, env);
  CHECK(contains(quiet.out, "web UI: http://127.0.0.1:"));
  CHECK(url_in(quiet.out) != url);  // a fresh socket and token for each run
  RunResult terminal = run({w.app.launcher().string(), "--exit-after-check", "--ui", "terminal"}, env);
  CHECK(contains(terminal.out, "web UI: http://127.0.0.1:"));
  RunResult none = run({w.app.launcher().string(), "--exit-after-check", "--ui", "none"}, env);
  CHECK_FALSE(contains(none.out, "web UI:"));
  std::string log = read_text(w.app.prefix() / "logs" / "mainapp.log");
  size_t opened = 0;
  for (size_t at = log.find("opened the web UI with xdg-open"); at != std::string::npos;
       at = log.find("opened the web UI with xdg-open", at + 1))
    ++opened;
  CHECK(opened == 1);  // only the first run
  CHECK(run({w.app.launcher().string(), "--ui", "sideways"}, env).exit_code == 2);
}

TEST_CASE("mainapp without a graphical session or without xdg-open says where its web UI is, and runs on",
          "[mainapp_ui][integration]") {
  InstalledWithPolicy w;
  TempDir data;
  auto env = mainapp_env(w, data);
  RunResult r = run({w.app.launcher().string(), "--exit-after-check"}, env);
  CHECK(r.exit_code == 0);
  env["DISPLAY"] = ":0";
  env["PATH"] = data.path().string();  // no xdg-open there
  RunResult missing = run({w.app.launcher().string(), "--exit-after-check"}, env);
  CHECK(missing.exit_code == 0);
  std::string log = read_text(w.app.prefix() / "logs" / "mainapp.log");
  CHECK(contains(
      log, "no graphical session (DISPLAY, WAYLAND_DISPLAY unset): not opening a browser; web UI at " + url_in(r.out)));
  CHECK(contains(log, "xdg-open is not installed (not on PATH): open the web UI yourself at " + url_in(missing.out)));
}
