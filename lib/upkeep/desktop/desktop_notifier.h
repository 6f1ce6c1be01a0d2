// DesktopNotifier: the desktop notification an application shows when it
// has no terminal and no open window, e.g. "Version 2.0 is ready" with the
// action "Restart to update" (docs/integration.md, "Desktop notification").
//
// The freedesktop Desktop Notifications protocol (org.freedesktop.Notifications
// on the user's session bus), through sd-bus from libsystemd on POSIX
// (desktop_notifier_posix.cpp); no server means an Error, never a hang.
//
// Threads: connect() starts one thread the notifier owns; it reads the bus
// and calls the callbacks of NotificationEvents, one at a time, only for
// notifications this notifier showed (a server may broadcast others'
// signals). show(), close() and capabilities() may be called from any
// thread, also from inside a callback; each waits at most kCallTimeout for
// the server. stop() (and the destructor) ends the thread and joins it
// without waiting on the server; after stop(), show() and close() throw.
// Do not destroy the notifier from inside one of its callbacks.
//
// Errors: every failure is an Error whose message names the method and the
// D-Bus error name ("DesktopNotifier::show: org.freedesktop.DBus.Error.ServiceUnknown: ...").
// kNotFound: no session bus, or no notification server on it; kFailure: the
// server refused a call or the bus connection broke.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace upkeep::desktop {

// The protocol's urgency levels ("urgency" hint, a byte).
enum class Urgency : uint8_t { kLow = 0, kNormal = 1, kCritical = 2 };

// Why the server closed a notification (the NotificationClosed signal's reason).
enum class CloseReason : uint32_t {
  kExpired = 1,       // its timeout passed
  kDismissed = 2,     // the user dismissed it
  kClosedByCall = 3,  // close() (or another CloseNotification call)
  kUndefined = 4,
};

struct NotificationAction {
  std::string key;    // what ActionInvoked reports: "default" is the click on the notification itself
  std::string label;  // what the user sees: "Restart to update"
};

struct Notification {
  std::string app_name;  // the application's name, as the server may show it
  std::string summary;   // one line: "Version 2.0 is ready"
  std::string body;      // may hold the simple markup servers with the "body-markup" capability accept
  Urgency urgency = Urgency::kNormal;
  std::vector<NotificationAction> actions;
  uint32_t replaces_id = 0;  // an id show() returned: update that notification in place; 0: a new one
  // How long it stays: -1 the server's default, 0 until the user acts, else milliseconds.
  int32_t expire_timeout_ms = -1;
  std::string app_icon;       // an icon name or file:// URI; empty: none
  std::string desktop_entry;  // the "desktop-entry" hint: the .desktop file's name without ".desktop"; empty: none
};

// Called on the notifier's thread, for this notifier's notifications only.
struct NotificationEvents {
  std::function<void(uint32_t id, const std::string& action_key)> on_action;
  std::function<void(uint32_t id, CloseReason reason)> on_closed;
};

struct NotifierOptions {
  // The bus to use; empty: the user's session bus ($DBUS_SESSION_BUS_ADDRESS,
  // else $XDG_RUNTIME_DIR/bus).
  std::string bus_address;
};

class DesktopNotifier {
 public:
  static constexpr std::chrono::seconds kCallTimeout{5};
  static constexpr const char* kServiceName = "org.freedesktop.Notifications";

  // Connects and starts the notifier's thread. Succeeds when a server owns
  // kServiceName, or the bus can start one (an activatable service).
  // Throws Error: kNotFound when there is no bus or no server.
  static std::unique_ptr<DesktopNotifier> connect(NotificationEvents events = {}, const NotifierOptions& options = {});
  // The same, but returns nullptr (and logs why, at info level) instead of throwing.
  static std::unique_ptr<DesktopNotifier> try_connect(NotificationEvents events = {},
                                                      const NotifierOptions& options = {});

  virtual ~DesktopNotifier() = default;

  // Shows (or, with replaces_id, replaces) a notification; returns the
  // server's id for it, which close() and the callbacks use.
  virtual uint32_t show(const Notification& notification) = 0;
  // Asks the server to close it; the server then reports kClosedByCall.
  // Closing an id that is already gone is not an error.
  virtual void close(uint32_t id) = 0;
  // What the server supports: "actions", "body", "body-markup", "persistence"...
  virtual std::vector<std::string> capabilities() = 0;
  // Ends the notifier's thread (joins it); idempotent. No callback runs
  // after it returns. From inside a callback it only asks the thread to end
  // (the destructor joins it).
  virtual void stop() = 0;
};

}  // namespace upkeep::desktop
