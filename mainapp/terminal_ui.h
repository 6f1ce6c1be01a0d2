// TerminalUi: the reference application's user interface on a terminal.
//
// It is the UpdateObserver: the update thread calls it, and it prints
// status lines and a progress bar (on a terminal, or always with
// --progress=always; never in --progress=never), and queues the events the
// main thread acts on (an update is staged, a check finished, quit).
// All methods are thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "update/update_observer.h"

namespace upkeep {

class TerminalUi : public UpdateObserver {
 public:
  enum class Progress { kAuto, kAlways, kNever };
  enum class EventKind { kStaged, kCheckFinished, kQuit };
  struct Event {
    EventKind kind;
    std::string version;
  };

  explicit TerminalUi(Progress progress);

  void on_check_started() override;
  void on_up_to_date(const std::string& current_version) override;
  void on_update_found(const ReleaseInfo& release) override;
  void on_download_progress(uint64_t done, uint64_t total) override;
  void on_staged(const ReleaseInfo& release) override;
  void on_error(const std::string& message) override;
  void on_check_finished() override;

  void post(Event e);
  Event next_event();  // blocks

  void say(const std::string& line);
  // Asks on the terminal; Enter means yes, end of input means no.
  bool ask_yes_no(const std::string& question);

 private:
  bool show_progress_ = false;
  bool tty_ = false;
  int last_step_ = -1;
  std::mutex out_mutex_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Event> events_;
};

}  // namespace upkeep
