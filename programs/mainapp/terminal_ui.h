// TerminalUi: the reference application's user interface on a terminal.
//
// It is the UpdateObserver: the update thread calls it; it prints through
// ConsoleReporter and queues the events the main thread acts on (an update
// is staged, a check finished, a line typed, quit). It also puts
// RestartPolicy's restart calls into words, on the main thread, and asks
// its question. All methods are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "upkeep/update/console_reporter.h"

namespace upkeep {

class TerminalUi : public ConsoleReporter {
 public:
  enum class EventKind { kStaged, kCheckFinished, kQuit, kLine, kLaunched };
  struct Event {
    EventKind kind;
    std::string version;  // kStaged
    std::string text;     // kLine: the line typed, without its newline
    // kLaunched: the launcher a hand-over started has ended
  };

  using ConsoleReporter::ConsoleReporter;

  void on_staged(const ReleaseInfo& release) override;
  void on_check_finished() override;
  void on_restart_notice(const RestartNotice& notice) override;
  bool on_restart_question(const std::string& version) override;
  void on_nothing_to_restart_for() override;
  void on_restart_blocked(const std::string& error, std::optional<std::chrono::minutes> retry_in) override;
  void on_restarting(const std::string& version) override;

  // "could not save your work (<error>): <consequence>".
  void say_not_saved(const std::string& error, const std::string& consequence);

  void post(Event e);
  Event next_event();  // blocks
  // Blocks until an event comes or `until` passes (nullopt).
  std::optional<Event> next_event_until(std::chrono::system_clock::time_point until);

  // Reads standard input on a thread of its own: each line becomes a kLine
  // event; the thread ends at the end of input. It is detached (a read
  // cannot be interrupted) and shares the queue, so it may outlive this
  // object. Not with ask_yes_no(), which reads standard input itself.
  void start_reading_input();

  // Asks on the terminal; Enter means yes, end of input means no.
  bool ask_yes_no(const std::string& question);

 private:
  struct Queue {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Event> events;
    void post(Event e);
    Event pop_locked();  // mutex held, events not empty
  };
  std::shared_ptr<Queue> queue_ = std::make_shared<Queue>();
  std::atomic<bool> reading_input_{false};  // notices then say how to restart: type "restart"
};

}  // namespace upkeep
