// DesktopNotifier against a real notification server: dunst under Xvfb on a
// private session bus (desktop_session.h). The actions are invoked through
// dunst itself (`dunstctl action`, and its context menu for "Later"), so the
// ActionInvoked signals are the server's own.
#include "upkeep/desktop/desktop_notifier.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "desktop_session.h"
#include "expect_error.h"
#include "upkeep/base/json.h"

using namespace upkeep::test;
using namespace upkeep::desktop;
using upkeep::ErrorCode;

namespace {

// What the notifier's thread reported, waited for with a deadline.
struct Recorder {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::pair<uint32_t, std::string>> actions;
  std::vector<std::pair<uint32_t, CloseReason>> closed;
  std::function<void(uint32_t id)> after_action;  // runs on the notifier's thread, after recording

  NotificationEvents events() {
    return {[this](uint32_t id, const std::string& key) {
              {
                std::lock_guard lock(mutex);
                actions.emplace_back(id, key);
                changed.notify_all();
              }
              if (after_action) after_action(id);
            },
            [this](uint32_t id, CloseReason reason) {
              std::lock_guard lock(mutex);
              closed.emplace_back(id, reason);
              changed.notify_all();
            }};
  }
  template <class Pred>
  bool wait(Pred pred, std::chrono::seconds limit = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, limit, pred);
  }
};

Notification update_ready(const std::string& summary = "Version 2.0 is ready") {
  Notification n;
  n.app_name = "mainapp";
  n.summary = summary;
  n.body = "Restart to update now, or later.";
  n.urgency = Urgency::kCritical;
  n.actions = {{"default", "Restart to update"}, {"later", "Later"}};
  n.expire_timeout_ms = 0;
  return n;
}

// dunst's history (the closed notifications): id -> summary.
std::map<int64_t, std::string> history(const DesktopSession& s) {
  std::map<int64_t, std::string> out;
  auto j = upkeep::Json::parse(s.dunstctl({"history"}));
  for (const auto& n : j.at("data").as_array().at(0).as_array())
    out[n.at("id").at("data").as_int()] = n.at("summary").at("data").as_string();
  return out;
}

// dunst on a private session, and a notifier on its bus recording what it reports.
struct WithDunst {
  DesktopSession session;
  Recorder events;
  std::unique_ptr<DesktopNotifier> notifier;  // destroyed first: its thread ends before `events` goes
  WithDunst() {
    session.start_dunst();
    notifier = DesktopNotifier::connect(events.events(), {session.bus_address()});
  }
};

}  // namespace

TEST_CASE("a notification with actions reaches dunst and its actions come back to our callback", "[desktop]") {
  REQUIRE(DesktopSession::missing_programs().empty());  // scripts/setup.sh installs them
  WithDunst d;
  auto& [session, events, notifier] = d;
  // dunst keeps a notification after an action: the app closes it, here from
  // inside the callback, on the notifier's own thread.
  events.after_action = [&](uint32_t id) { notifier->close(id); };
  auto caps = notifier->capabilities();
  CHECK(std::find(caps.begin(), caps.end(), "actions") != caps.end());

  uint32_t id = notifier->show(update_ready());
  CHECK(id > 0);
  CHECK(session.next_shown() == std::to_string(id) + " CRITICAL Version 2.0 is ready");
  REQUIRE(session.displayed() == 1);

  SECTION("the default action: the click on the notification") {
    session.dunstctl({"action", "0"});  // dunst 1.9: invokes the "default" action of the first displayed
    REQUIRE(events.wait([&] { return !events.actions.empty(); }));
    CHECK(events.actions.front() == std::make_pair(id, std::string("default")));
  }
  SECTION("Later, chosen in dunst's context menu") {
    session.dunstctl({"context"});  // runs tests/integration/desktop/choose_later.sh as its menu
    REQUIRE(events.wait([&] { return !events.actions.empty(); }));
    CHECK(events.actions.front() == std::make_pair(id, std::string("later")));
  }
  REQUIRE(events.wait([&] { return !events.closed.empty(); }));
  CHECK(events.closed.front() == std::make_pair(id, CloseReason::kClosedByCall));
  CHECK(events.actions.size() == 1);
}

TEST_CASE("close removes our notification and replaces_id updates it in place", "[desktop]") {
  REQUIRE(DesktopSession::missing_programs().empty());  // scripts/setup.sh installs them
  WithDunst d;
  auto& [session, events, notifier] = d;

  uint32_t id = notifier->show(update_ready("Version 2.0 is ready"));
  CHECK(session.next_shown() == std::to_string(id) + " CRITICAL Version 2.0 is ready");
  Notification again = update_ready("Restart within 15 minutes");
  again.replaces_id = id;
  CHECK(notifier->show(again) == id);
  CHECK(session.next_shown() == std::to_string(id) + " CRITICAL Restart within 15 minutes");
  CHECK(session.displayed() == 1);  // replaced, not a second one

  // Someone else's notification on the same server: never reported to us.
  session.run_on_bus("notify-send", {"-u", "low", "someone else"});
  auto other = session.next_shown();
  REQUIRE(other);
  CHECK_THAT(*other, Catch::EndsWith(" LOW someone else"));
  CHECK(session.displayed() == 2);

  notifier->close(id);
  REQUIRE(events.wait([&] { return !events.closed.empty(); }));
  CHECK(events.closed.front() == std::make_pair(id, CloseReason::kClosedByCall));
  CHECK(session.displayed() == 1);
  auto closed = history(session);
  REQUIRE(closed.count(id) == 1);
  CHECK(closed[id] == "Restart within 15 minutes");
  notifier->close(id);  // already gone: no error

  session.dunstctl({"close-all"});  // closes the other one
  CHECK(session.displayed() == 0);
  notifier->stop();
  CHECK(events.closed.size() == 1);
  CHECK(events.actions.empty());
}

TEST_CASE("no notification server or no bus: a clear error at once, no hang", "[desktop]") {
  REQUIRE(DesktopSession::missing_programs().empty());  // scripts/setup.sh installs them
  auto started = std::chrono::steady_clock::now();
  SECTION("a bus nobody serves notifications on") {
    DesktopSession session;  // this bus can start no service either
    auto message = error_of([&] { DesktopNotifier::connect({}, {session.bus_address()}); }, ErrorCode::kNotFound);
    CHECK_THAT(message, Catch::Contains("DesktopNotifier::connect") && Catch::Contains("no notification server") &&
                            Catch::Contains("org.freedesktop.Notifications"));
    CHECK(DesktopNotifier::try_connect({}, {session.bus_address()}) == nullptr);
  }
  SECTION("no bus at all") {
    TempDir dir;
    std::string address = "unix:path=" + (dir.path() / "no-bus").string();
    auto message = error_of([&] { DesktopNotifier::connect({}, {address}); }, ErrorCode::kNotFound);
    CHECK_THAT(message, Catch::Contains("cannot connect to the bus at " + address));
  }
  SECTION("the server goes away after connect") {
    DesktopSession session;
    session.start_dunst();
    auto notifier = DesktopNotifier::connect({}, {session.bus_address()});
    session.stop_dunst();
    auto message = error_of([&] { notifier->show(update_ready()); }, ErrorCode::kFailure);
    CHECK_THAT(message, Catch::Contains("DesktopNotifier::show: org.freedesktop.DBus.Error.ServiceUnknown"));
  }
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(15));
}
