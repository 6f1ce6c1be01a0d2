// TerminalUi: the reference application's user interface on a terminal.
//
// It is the UpdateObserver: the update thread calls it; it prints through
// ConsoleReporter and queues the events the main thread acts on (an update
// is staged, a check finished, quit). All methods are thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>

#include "update/console_reporter.h"

namespace upkeep {

class TerminalUi : public ConsoleReporter {
 public:
  enum class EventKind { kStaged, kCheckFinished, kQuit };
  struct Event {
    EventKind kind;
    std::string version;
  };

  using ConsoleReporter::ConsoleReporter;

  void on_staged(const ReleaseInfo& release) override;
  void on_check_finished() override;

  void post(Event e);
  Event next_event();  // blocks

  // Asks on the terminal; Enter means yes, end of input means no.
  bool ask_yes_no(const std::string& question);

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Event> events_;
};

}  // namespace upkeep
