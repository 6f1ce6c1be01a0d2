// A private desktop session for tests of desktop notifications: its own
// session bus (dbus-daemon with a configuration that can start no service),
// an Xvfb display and, when asked, dunst serving org.freedesktop.Notifications
// on them with tests/integration/desktop/dunstrc, which reports each notification
// it shows to the test through a FIFO. Everything ends with the object.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "test_support.h"

namespace upkeep::test {

class DesktopSession {
 public:
  // The programs a session needs that are not on PATH (empty: all there).
  static std::vector<std::string> missing_programs();

  DesktopSession();  // bus and display, no notification server yet
  ~DesktopSession();

  // Starts dunst and waits (on the bus, with a deadline) until it owns the name.
  void start_dunst();
  void stop_dunst();

  const std::string& bus_address() const { return bus_address_; }
  // `PROGRAM ARGS...` (dunstctl, notify-send) on this session's bus; its standard output.
  std::string run_on_bus(const std::string& program, const std::vector<std::string>& args) const;
  std::string dunstctl(const std::vector<std::string>& args) const { return run_on_bus("dunstctl", args); }
  // `dunstctl count displayed`: how many notifications dunst shows now.
  int displayed() const;
  // The next notification dunst showed (or replaced), "ID URGENCY SUMMARY"
  // ("7 CRITICAL Version 2.0 is ready"), as its rule's script reported it;
  // nothing when `limit` passes first.
  std::optional<std::string> next_shown(std::chrono::milliseconds limit = std::chrono::seconds(10));

 private:
  TempDir dir_;
  std::unique_ptr<BackgroundProcess> bus_, display_, dunst_;
  std::string bus_address_, display_name_;
  int shown_fd_ = -1;  // the read end of the FIFO desktop/record_shown.sh writes to
  std::string shown_buffer_;
};

// Waits on the bus at `address` until `name` has an owner (NameOwnerChanged,
// no polling); false when `limit` passes first.
bool wait_for_bus_name(const std::string& address, const std::string& name, std::chrono::milliseconds limit);

}  // namespace upkeep::test
