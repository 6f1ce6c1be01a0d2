#include "desktop_session.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace upkeep::test {
namespace {

const std::vector<std::string> kPrograms = {"dbus-daemon", "Xvfb", "dunst", "dunstctl", "notify-send"};

// The program's path on $PATH; "" when it is not there.
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t start = 0, end; start <= dirs.size(); start = end + 1) {
    end = std::min(dirs.find(':', start), dirs.size());
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string which(const std::string& name) {
  std::string path = find_on_path(name);
  if (path.empty()) throw std::runtime_error(name + " is not on PATH");
  return path;
}

// A session bus that starts no service: nothing is activatable on it.
std::string bus_config(const stdfs::path& dir) {
  return R"(<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=)" +
         dir.string() + R"(</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
)";
}

struct NameWatch {
  std::string name;
  bool owned = false;
};

int on_owner_changed(sd_bus_message* m, void* data, sd_bus_error*) {
  auto* watch = static_cast<NameWatch*>(data);
  const char *name = nullptr, *old_owner = nullptr, *new_owner = nullptr;
  if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0 && watch->name == name)
    watch->owned = new_owner && *new_owner;
  return 0;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

}  // namespace

bool wait_for_bus_name(const std::string& address, const std::string& name, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  sd_bus* bus = nullptr;
  int r = sd_bus_new(&bus);
  if (r >= 0) r = sd_bus_set_address(bus, address.c_str());
  if (r >= 0) r = sd_bus_set_bus_client(bus, 1);
  if (r >= 0) r = sd_bus_start(bus);
  NameWatch watch{name};
  // Subscribe first, then ask: an owner that arrives in between is not missed.
  if (r >= 0)
    r = sd_bus_match_signal(bus, nullptr, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                            "NameOwnerChanged", on_owner_changed, &watch);
  sd_bus_message* reply = nullptr;
  if (r >= 0)
    r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
                           nullptr, &reply, "s", name.c_str());
  int owned = 0;
  if (r >= 0) r = sd_bus_message_read(reply, "b", &owned);
  sd_bus_message_unref(reply);
  watch.owned = watch.owned || owned;
  while (r >= 0 && !watch.owned) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    r = sd_bus_process(bus, nullptr);
    if (r > 0) continue;
    if (r == 0) r = sd_bus_wait(bus, std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count());
  }
  sd_bus_flush_close_unref(bus);
  if (r < 0) throw std::runtime_error("watching the bus for " + name + ": " + std::strerror(-r));
  return watch.owned;
}

std::vector<std::string> DesktopSession::missing_programs() {
  std::vector<std::string> out;
  for (const auto& p : kPrograms)
    if (find_on_path(p).empty()) out.push_back(p);
  return out;
}

DesktopSession::DesktopSession() {
  write_text(dir_.path() / "bus.conf", bus_config(dir_.path()));
  bus_ = std::make_unique<BackgroundProcess>(std::vector<std::string>{
      which("dbus-daemon"), "--config-file=" + (dir_.path() / "bus.conf").string(), "--print-address=1", "--nofork"});
  bus_address_ = bus_->read_line();
  // Xvfb picks a free display and writes its number to the descriptor -displayfd names.
  display_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{which("Xvfb"), "-displayfd", "1", "-nolisten", "tcp", "-screen", "0", "800x600x24"});
  display_name_ = ":" + display_->read_line();
}

DesktopSession::~DesktopSession() {
  stop_dunst();
  display_.reset();
  bus_.reset();
  if (shown_fd_ >= 0) close(shown_fd_);
}

void DesktopSession::start_dunst() {
  stdfs::path scripts = source_dir() / "tests/integration/desktop";
  std::string rc = read_text(scripts / "dunstrc");
  replace_all(rc, "@CHOOSE_LATER@", (scripts / "choose_later.sh").string());
  replace_all(rc, "@RECORD_SHOWN@", (scripts / "record_shown.sh").string());
  write_text(dir_.path() / "dunstrc", rc);
  // Opened for reading and writing (Linux allows it on a FIFO): the script's
  // open never blocks, and with a writer always present, poll() waits for data
  // instead of reporting a hang-up after each script ends.
  stdfs::path fifo = dir_.path() / "shown.fifo";
  if (shown_fd_ < 0) {
    if (mkfifo(fifo.c_str(), 0600) != 0) throw std::runtime_error("mkfifo " + fifo.string() + " failed");
    shown_fd_ = open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (shown_fd_ < 0) throw std::runtime_error("cannot open " + fifo.string());
  }
  dunst_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{which("dunst"), "-config", (dir_.path() / "dunstrc").string()},
      std::map<std::string, std::string>{
          {"DBUS_SESSION_BUS_ADDRESS", bus_address_}, {"DISPLAY", display_name_}, {"UPKEEP_TEST_SHOWN", fifo}});
  if (!wait_for_bus_name(bus_address_, "org.freedesktop.Notifications", std::chrono::seconds(20)))
    throw std::runtime_error("dunst did not take org.freedesktop.Notifications within 20 s");
}

void DesktopSession::stop_dunst() { dunst_.reset(); }

std::string DesktopSession::run_on_bus(const std::string& program, const std::vector<std::string>& args) const {
  std::vector<std::string> argv{which(program)};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult r = run(argv, {{"DBUS_SESSION_BUS_ADDRESS", bus_address_}});
  if (r.exit_code != 0) throw std::runtime_error(program + " failed: " + r.err);
  return r.out;
}

int DesktopSession::displayed() const { return std::stoi(dunstctl({"count", "displayed"})); }

std::optional<std::string> DesktopSession::next_shown(std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    auto nl = shown_buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = shown_buffer_.substr(0, nl);
      shown_buffer_.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{shown_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[512];
    ssize_t n = read(shown_fd_, buf, sizeof buf);
    if (n > 0) shown_buffer_.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace upkeep::test
