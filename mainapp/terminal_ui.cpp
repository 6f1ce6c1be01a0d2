#include "terminal_ui.h"

#include <cstdio>
#include <iostream>

#include "update/release_selector.h"

namespace upkeep {

void TerminalUi::on_staged(const ReleaseInfo& release) {
  ConsoleReporter::on_staged(release);
  post({EventKind::kStaged, release.version});
}

void TerminalUi::on_check_finished() { post({EventKind::kCheckFinished, ""}); }

void TerminalUi::post(Event e) {
  {
    std::lock_guard<std::mutex> g(mutex_);
    events_.push_back(std::move(e));
  }
  cv_.notify_all();
}

TerminalUi::Event TerminalUi::next_event() {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [this] { return !events_.empty(); });
  Event e = events_.front();
  events_.pop_front();
  return e;
}

bool TerminalUi::ask_yes_no(const std::string& question) {
  {
    std::lock_guard<std::mutex> g(out_mutex_);
    std::printf("%s", question.c_str());
    std::fflush(stdout);
  }
  std::string answer;
  if (!std::getline(std::cin, answer)) {
    say("(no answer: not restarting)");
    return false;
  }
  if (!tty_) say(answer);  // echo a piped answer so logs show it
  return answer.empty() || answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace upkeep
