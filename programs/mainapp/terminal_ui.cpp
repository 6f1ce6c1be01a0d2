#include "terminal_ui.h"

#include <cstdio>
#include <iostream>
#include <thread>

#include "upkeep/update/release_selector.h"

namespace upkeep {

void TerminalUi::on_staged(const ReleaseInfo& release) {
  ConsoleReporter::on_staged(release);
  post({EventKind::kStaged, release.version, ""});
}

void TerminalUi::on_check_finished() { post({EventKind::kCheckFinished, "", ""}); }

void TerminalUi::Queue::post(Event e) {
  {
    std::lock_guard<std::mutex> g(mutex);
    events.push_back(std::move(e));
  }
  cv.notify_all();
}

void TerminalUi::post(Event e) { queue_->post(std::move(e)); }

TerminalUi::Event TerminalUi::Queue::pop_locked() {
  Event e = std::move(events.front());
  events.pop_front();
  return e;
}

TerminalUi::Event TerminalUi::next_event() {
  std::unique_lock<std::mutex> lock(queue_->mutex);
  queue_->cv.wait(lock, [this] { return !queue_->events.empty(); });
  return queue_->pop_locked();
}

std::optional<TerminalUi::Event> TerminalUi::next_event_until(std::chrono::system_clock::time_point until) {
  std::unique_lock<std::mutex> lock(queue_->mutex);
  if (!queue_->cv.wait_until(lock, until, [this] { return !queue_->events.empty(); })) return std::nullopt;
  return queue_->pop_locked();
}

void TerminalUi::start_reading_input() {
  std::thread([queue = queue_] {
    std::string line;
    while (std::getline(std::cin, line)) queue->post({EventKind::kLine, "", line});
  }).detach();
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
