// mainapp started without a terminal, with no page of its web UI open: an
// update ready becomes a desktop notification (programs/mainapp/
// restart_notification.h), shown by a real dunst on a private session bus
// (desktop_session.h), and invoking its action restarts into the update.
#include <signal.h>

#include "desktop_session.h"
#include "mainapp_page.h"
#include "upkeep/platform/process.h"

using namespace upkeep::test;

TEST_CASE("mainapp with no terminal and no page open notifies the desktop, and the notification's action restarts it",
          "[mainapp_ui][desktop][integration]") {
  REQUIRE(DesktopSession::missing_programs().empty());  // scripts/setup.sh installs dunst, Xvfb, dbus
  DesktopSession session;
  session.start_dunst();
  InstalledWithPolicy w;
  w.vendor.release(w.vendor.build_folder("2.0.0"), "2.0.0");
  TempDir data;
  auto env = mainapp_env(w, data);  // no graphical session: no browser, nobody opens the page
  env["DBUS_SESSION_BUS_ADDRESS"] = session.bus_address();

  BackgroundProcess app({w.app.launcher().string(), "--ui", "web", "--no-browser"}, env);
  std::string url = read_until(app, "web UI: ");
  read_until(app, "version 2.0.0 downloaded, verified and staged");
  // restart_prompt "ask" (the default): the question, as a notification of normal urgency.
  auto shown = session.next_shown(std::chrono::seconds(30));
  REQUIRE(shown);
  CHECK(shown->substr(shown->find(' ') + 1) == "NORMAL Version 2.0.0 is ready");

  session.dunstctl({"action", "0"});  // the click on the notification: "Restart to update"
  int pid = read_running_pid(app, "2.0.0");
  CHECK(read_until(app, "web UI: ") == url);  // the page's URL still works
  read_until(app, "updated from 1.0.0 to 2.0.0: healthy start confirmed");
  CHECK(app.stop(0) == 0);  // 1.0.0 ended once 2.0.0 was ready
  CHECK(w.app.current() == "versions/2.0.0");
  CHECK(w.app.state_of("2.0.0") == "good");
  end_restarted(pid);
}

TEST_CASE("mainapp with no terminal but a page open shows no notification: the page asks, and its button restarts",
          "[mainapp_ui][desktop][integration]") {
  REQUIRE(DesktopSession::missing_programs().empty());
  DesktopSession session;
  session.start_dunst();
  InstalledWithPolicy w;  // only 1.0.0 released: the first check finds nothing
  TempDir data;
  auto env = mainapp_env(w, data);
  env["DBUS_SESSION_BUS_ADDRESS"] = session.bus_address();
  BackgroundProcess app({w.app.launcher().string(), "--ui", "web", "--no-browser"}, env);
  std::string url = read_until(app, "web UI: ");
  read_until(app, "up to date (1.0.0)");
  EventStream page(port_of(url), token_of(url));  // a page shows the app from now on
  REQUIRE(!page.first_state().empty());

  w.vendor.release(w.vendor.build_folder("2.0.0"), "2.0.0");
  CHECK(act(url, "check") == 204);
  std::string prompt;
  while (prompt != "ask") {
    std::string state = page.next_state();
    REQUIRE(!state.empty());
    prompt = upkeep::Json::parse(state, "state event").get_string("prompt");
  }
  CHECK(act(url, "restart") == 204);  // the page's "Restart to update"
  int pid = read_running_pid(app, "2.0.0");
  CHECK(app.stop(0) == 0);  // 1.0.0 ended: its listeners heard every state before it did
  CHECK_FALSE(session.next_shown(std::chrono::milliseconds(0)));  // dunst never showed one (its rule records each)
  CHECK_FALSE(contains(read_text(w.app.prefix() / "logs" / "mainapp.log"), "desktop notification"));
  end_restarted(pid);
}

TEST_CASE("mainapp with no notification server on its bus runs on, and says why in its log",
          "[mainapp_ui][integration]") {
  InstalledWithPolicy w;
  TempDir data;
  auto env = mainapp_env(w, data);
  env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + (data / "no-bus").string();
  RunResult r = run({w.app.launcher().string(), "--ui", "web", "--no-browser", "--exit-after-check"}, env);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "up to date (1.0.0)"));
  CHECK(contains(read_text(w.app.prefix() / "logs" / "mainapp.log"),
                 "no desktop notifications: an update ready is shown only by the web UI"));
}
