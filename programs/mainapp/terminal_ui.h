// TerminalUi: the reference application's terminal face.
//
// It listens to AppUpdater's UpdateState (show(), on the updater's dispatch
// thread) and says what changed in words (through ConsoleReporter: checking,
// found, progress, staged, failed; the restart notices of ask / notify /
// forced; restarting), then queues the state for the main thread, which
// acts on it: asks the restart question, leaves after the first check, or
// after a restart. It also queues the other events the main thread waits
// for (a line typed, quit). All methods are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "upkeep/embed/update_state.h"
#include "upkeep/update/console_reporter.h"
#include "upkeep/update/restart_policy.h"

namespace upkeep {

class TerminalUi : public ConsoleReporter {
 public:
  enum class EventKind { kState, kQuit, kLine, kAnswer, kLauncherEnded };
  struct Event {
    EventKind kind;
    UpdateState state;          // kState: the state shown
    std::string text;           // kLine, kAnswer: the line typed, without its newline
    bool end_of_input = false;  // kAnswer: no answer, standard input ended
  };

  using ConsoleReporter::ConsoleReporter;

  // AppUpdater's listener: says what changed since the last state shown, then queues it.
  void show(const UpdateState& state);
  // Blocks until a state of `revision` or later was shown, or `until` passes; whether it was.
  bool wait_shown(uint64_t revision, std::chrono::steady_clock::time_point until);

  // Asks "Version X is ready. Restart to update? [Y/n]" on the terminal; a
  // thread of its own reads the answer and posts it (kAnswer), so the main
  // thread goes on (a click in the web UI may restart meanwhile). Detached,
  // like start_reading_input(); not while that one reads.
  void start_asking(const std::string& version);
  // The answer, said: Enter or y means yes; no answer (end of input) means no.
  bool take_answer(const Event& answer);
  // "restarting to update to V...", once: said by the save hook as the
  // restart starts (before the new version can speak), else on kRestarting.
  void say_restarting(const std::string& version);
  // "could not save your work (<error>): <consequence>".
  void say_not_saved(const std::string& error, const std::string& consequence);

  void post(Event e);
  Event next_event();  // blocks
  // Blocks until an event comes or `until` passes (nullopt).
  std::optional<Event> next_event_until(std::chrono::system_clock::time_point until);

  // Reads standard input on a thread of its own: each line becomes a kLine
  // event; the thread ends at the end of input. It is detached (a read
  // cannot be interrupted) and shares the queue, so it may outlive this
  // object. Not with start_asking(), which reads standard input too.
  void start_reading_input();

 private:
  void say_changes(const UpdateState& before, const UpdateState& now);
  void say_notice(const RestartNotice& notice);
  void say_prompt(const UpdateState& before, const UpdateState& now);

  struct Queue {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Event> events;
    void post(Event e);
    Event pop_locked();  // mutex held, events not empty
  };
  std::shared_ptr<Queue> queue_ = std::make_shared<Queue>();
  std::atomic<bool> reading_input_{false};
  std::atomic<bool> restarting_said_{false};  // notices then say how to restart: type "restart"
  std::mutex shown_mutex_;
  std::condition_variable shown_cv_;
  UpdateState shown_;  // the last state shown
};

}  // namespace upkeep
