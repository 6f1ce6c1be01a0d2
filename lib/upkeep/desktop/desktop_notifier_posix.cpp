// DesktopNotifier over sd-bus (libsystemd). One sd_bus connection, guarded by
// one mutex: callers' method calls and the notifier's thread take turns. The
// thread waits (poll) on the bus's descriptor and an eventfd without the
// mutex; a caller that read the bus (sd_bus_call queues the signals it meets)
// or stop() wakes it through the eventfd. Signals are collected under the
// mutex and delivered after it is released, so a callback may call show().
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <variant>

#include "upkeep/base/error.h"
#include "upkeep/desktop/desktop_notifier.h"

namespace upkeep::desktop {
namespace {

constexpr const char* kPath = "/org/freedesktop/Notifications";
constexpr const char* kInterface = "org.freedesktop.Notifications";
constexpr uint64_t kCallTimeoutUsec = std::chrono::microseconds(DesktopNotifier::kCallTimeout).count();

// An sd_bus_error that frees itself.
struct BusError {
  sd_bus_error error = SD_BUS_ERROR_NULL;
  ~BusError() { sd_bus_error_free(&error); }
  // "org.freedesktop.DBus.Error.ServiceUnknown: The name ... was not provided", or strerror(-r).
  std::string describe(int r) const {
    if (sd_bus_error_is_set(&error)) return std::string(error.name) + ": " + (error.message ? error.message : "");
    return std::strerror(-r);
  }
};

struct MessageRef {
  sd_bus_message* m = nullptr;
  ~MessageRef() { sd_bus_message_unref(m); }
};

[[noreturn]] void fail_call(const char* method, int r, const BusError& error, ErrorCode code = ErrorCode::kFailure) {
  fail(code, std::string("DesktopNotifier::") + method + ": " + error.describe(r));
}

void check(int r, const char* method, const char* what) {
  if (r < 0)
    fail(ErrorCode::kFailure, std::string("DesktopNotifier::") + method + ": " + what + ": " + std::strerror(-r));
}

struct ActionEvent {
  uint32_t id;
  std::string key;
};
struct ClosedEvent {
  uint32_t id;
  CloseReason reason;
};
using Event = std::variant<ActionEvent, ClosedEvent>;

class SdBusNotifier final : public DesktopNotifier {
 public:
  SdBusNotifier(sd_bus* bus, NotificationEvents events) : bus_(bus), events_(std::move(events)) {}
  ~SdBusNotifier() override {
    stop();
    sd_bus_slot_unref(action_slot_);
    sd_bus_slot_unref(closed_slot_);
    sd_bus_flush_close_unref(bus_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  void start() {
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0)
      fail(ErrorCode::kFailure, std::string("DesktopNotifier::connect: eventfd: ") + std::strerror(errno));
    check(sd_bus_match_signal(bus_, &action_slot_, nullptr, kPath, kInterface, "ActionInvoked", &on_action, this),
          "connect", "subscribe to ActionInvoked");
    check(sd_bus_match_signal(bus_, &closed_slot_, nullptr, kPath, kInterface, "NotificationClosed", &on_closed, this),
          "connect", "subscribe to NotificationClosed");
    thread_ = std::thread([this] { loop(); });
  }

  uint32_t show(const Notification& n) override {
    std::lock_guard lock(mutex_);
    require_running("show");
    MessageRef m;
    check(sd_bus_message_new_method_call(bus_, &m.m, kServiceName, kPath, kInterface, "Notify"), "show", "new call");
    check(sd_bus_message_append(m.m, "susss", n.app_name.c_str(), n.replaces_id, n.app_icon.c_str(), n.summary.c_str(),
                                n.body.c_str()),
          "show", "append");
    check(sd_bus_message_open_container(m.m, 'a', "s"), "show", "actions");
    for (const auto& a : n.actions)
      check(sd_bus_message_append(m.m, "ss", a.key.c_str(), a.label.c_str()), "show", "action");
    check(sd_bus_message_close_container(m.m), "show", "actions");
    check(sd_bus_message_open_container(m.m, 'a', "{sv}"), "show", "hints");
    check(sd_bus_message_append(m.m, "{sv}", "urgency", "y", static_cast<uint8_t>(n.urgency)), "show", "urgency");
    if (!n.desktop_entry.empty())
      check(sd_bus_message_append(m.m, "{sv}", "desktop-entry", "s", n.desktop_entry.c_str()), "show", "desktop-entry");
    check(sd_bus_message_close_container(m.m), "show", "hints");
    check(sd_bus_message_append(m.m, "i", n.expire_timeout_ms), "show", "timeout");

    BusError error;
    MessageRef reply;
    int r = sd_bus_call(bus_, m.m, kCallTimeoutUsec, &error.error, &reply.m);
    wake();
    if (r < 0) fail_call("show", r, error);
    uint32_t id = 0;
    check(sd_bus_message_read(reply.m, "u", &id), "show", "read the id");
    ours_.insert(id);
    return id;
  }

  void close(uint32_t id) override {
    std::lock_guard lock(mutex_);
    require_running("close");
    if (!ours_.count(id)) return;  // closed already (or never ours)
    BusError error;
    int r =
        sd_bus_call_method(bus_, kServiceName, kPath, kInterface, "CloseNotification", &error.error, nullptr, "u", id);
    wake();
    if (r < 0) fail_call("close", r, error);
  }

  std::vector<std::string> capabilities() override {
    std::lock_guard lock(mutex_);
    require_running("capabilities");
    BusError error;
    MessageRef reply;
    int r = sd_bus_call_method(bus_, kServiceName, kPath, kInterface, "GetCapabilities", &error.error, &reply.m, "");
    wake();
    if (r < 0) fail_call("capabilities", r, error);
    char** strv = nullptr;
    check(sd_bus_message_read_strv(reply.m, &strv), "capabilities", "read the reply");
    std::vector<std::string> out;
    for (char** s = strv; s && *s; ++s) {
      out.emplace_back(*s);
      free(*s);
    }
    free(strv);
    return out;
  }

  void stop() override {
    stopping_ = true;
    wake();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  void require_running(const char* method) const {
    if (stopping_) fail(ErrorCode::kFailure, std::string("DesktopNotifier::") + method + ": the notifier was stopped");
    if (broken_) fail(ErrorCode::kFailure, std::string("DesktopNotifier::") + method + ": the bus connection is gone");
  }

  void wake() {
    uint64_t one = 1;
    if (wake_fd_ >= 0) (void)!::write(wake_fd_, &one, sizeof one);
  }

  static int on_action(sd_bus_message* m, void* self, sd_bus_error*) {
    uint32_t id = 0;
    const char* key = nullptr;
    if (sd_bus_message_read(m, "us", &id, &key) < 0) return 0;
    auto* n = static_cast<SdBusNotifier*>(self);
    if (n->ours_.count(id)) n->pending_.push_back(ActionEvent{id, key});
    return 0;
  }

  static int on_closed(sd_bus_message* m, void* self, sd_bus_error*) {
    uint32_t id = 0, reason = 0;
    if (sd_bus_message_read(m, "uu", &id, &reason) < 0) return 0;
    auto* n = static_cast<SdBusNotifier*>(self);
    if (n->ours_.erase(id)) n->pending_.push_back(ClosedEvent{id, static_cast<CloseReason>(reason)});
    return 0;
  }

  // Under the mutex: handles what the bus holds; returns what to wait for next.
  bool process(pollfd& bus_fd, int& timeout_ms, std::vector<Event>& events) {
    std::lock_guard lock(mutex_);
    int r;
    while ((r = sd_bus_process(bus_, nullptr)) > 0) {
    }
    events.swap(pending_);
    if (r < 0) {
      spdlog::warn("desktop notifications: the session bus connection ended: {}", std::strerror(-r));
      broken_ = true;
      return false;
    }
    bus_fd = {sd_bus_get_fd(bus_), static_cast<short>(sd_bus_get_events(bus_)), 0};
    uint64_t until = UINT64_MAX;
    sd_bus_get_timeout(bus_, &until);
    timeout_ms = -1;
    if (until != UINT64_MAX) {
      timespec now{};
      clock_gettime(CLOCK_MONOTONIC, &now);
      uint64_t now_usec = uint64_t(now.tv_sec) * 1000000 + uint64_t(now.tv_nsec) / 1000;
      timeout_ms = until <= now_usec ? 0 : int(std::min<uint64_t>((until - now_usec + 999) / 1000, 60000));
    }
    return true;
  }

  void deliver(const std::vector<Event>& events) {
    for (const auto& e : events) {
      try {
        if (auto* a = std::get_if<ActionEvent>(&e)) {
          if (events_.on_action) events_.on_action(a->id, a->key);
        } else if (auto* c = std::get_if<ClosedEvent>(&e)) {
          if (events_.on_closed) events_.on_closed(c->id, c->reason);
        }
      } catch (const std::exception& ex) {
        spdlog::error("desktop notifications: a callback failed: {}", ex.what());
      }
    }
  }

  void loop() {
    std::vector<Event> events;
    while (!stopping_) {
      pollfd fds[2];
      int timeout_ms = -1;
      events.clear();
      bool alive = process(fds[0], timeout_ms, events);
      if (!stopping_) deliver(events);
      if (!alive) return;
      fds[1] = {wake_fd_, POLLIN, 0};
      if (stopping_) return;
      if (poll(fds, 2, timeout_ms) < 0 && errno != EINTR) {
        spdlog::warn("desktop notifications: poll: {}", std::strerror(errno));
        return;
      }
      uint64_t count;
      if (fds[1].revents & POLLIN) (void)!::read(wake_fd_, &count, sizeof count);
    }
  }

  sd_bus* bus_;
  NotificationEvents events_;
  std::mutex mutex_;            // guards bus_, ours_, pending_
  std::set<uint32_t> ours_;     // the ids show() returned that are not closed yet
  std::vector<Event> pending_;  // signals read, not yet delivered
  sd_bus_slot* action_slot_ = nullptr;
  sd_bus_slot* closed_slot_ = nullptr;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> broken_{false};
  std::thread thread_;
};

sd_bus* open_bus(const NotifierOptions& options) {
  sd_bus* bus = nullptr;
  int r;
  if (options.bus_address.empty()) {
    r = sd_bus_open_user(&bus);
  } else {
    r = sd_bus_new(&bus);
    if (r >= 0) r = sd_bus_set_address(bus, options.bus_address.c_str());
    if (r >= 0) r = sd_bus_set_bus_client(bus, 1);
    if (r >= 0) r = sd_bus_start(bus);
  }
  // Every call (sd_bus_call with 0 too) waits at most this long for its reply.
  if (r >= 0) r = sd_bus_set_method_call_timeout(bus, kCallTimeoutUsec);
  if (r < 0) {
    sd_bus_unref(bus);
    std::string where = options.bus_address.empty() ? "the session bus" : "the bus at " + options.bus_address;
    fail(ErrorCode::kNotFound, "DesktopNotifier::connect: cannot connect to " + where + ": " + std::strerror(-r));
  }
  return bus;
}

// True when a server owns the name or the bus can start one.
bool has_server(sd_bus* bus) {
  BusError error;
  MessageRef reply;
  int r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                             "NameHasOwner", &error.error, &reply.m, "s", DesktopNotifier::kServiceName);
  if (r < 0) fail_call("connect (NameHasOwner)", r, error, ErrorCode::kNotFound);
  int owned = 0;
  check(sd_bus_message_read(reply.m, "b", &owned), "connect", "NameHasOwner reply");
  if (owned) return true;
  MessageRef names;
  BusError list_error;
  r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                         "ListActivatableNames", &list_error.error, &names.m, "");
  if (r < 0) return false;
  char** strv = nullptr;
  if (sd_bus_message_read_strv(names.m, &strv) < 0) return false;
  bool found = false;
  for (char** s = strv; s && *s; ++s) {
    found = found || std::strcmp(*s, DesktopNotifier::kServiceName) == 0;
    free(*s);
  }
  free(strv);
  return found;
}

}  // namespace

std::unique_ptr<DesktopNotifier> DesktopNotifier::connect(NotificationEvents events, const NotifierOptions& options) {
  sd_bus* bus = open_bus(options);
  auto notifier = std::make_unique<SdBusNotifier>(bus, std::move(events));  // owns bus from here
  if (!has_server(bus))
    fail(ErrorCode::kNotFound,
         std::string("DesktopNotifier::connect: no notification server on the bus (nothing owns ") + kServiceName +
             " and none can be started)");
  notifier->start();
  return notifier;
}

std::unique_ptr<DesktopNotifier> DesktopNotifier::try_connect(NotificationEvents events,
                                                              const NotifierOptions& options) {
  try {
    return connect(std::move(events), options);
  } catch (const Error& e) {
    spdlog::info("no desktop notifications: {}", e.what());
    return nullptr;
  }
}

}  // namespace upkeep::desktop
