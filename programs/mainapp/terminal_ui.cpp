#include "terminal_ui.h"

#include <cstdio>
#include <iostream>
#include <thread>

#include "upkeep/update/release_selector.h"
#include "upkeep/update/restart_policy.h"

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
  reading_input_ = true;
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

namespace {

// What the user reads for a notice from forced restart_prompt: the time left, and who requires it.
std::string forced_message(const RestartNotice& n) {
  using Action = RestartEscalation::Action;
  const std::string required = "(required by restart_prompt \"forced\", " + n.required_by + ")";
  const std::string left = RestartEscalation::describe(n.left);
  if (n.action == Action::kNotify)
    return "update " + n.version + " ready: restarting in " + left + " (at " + format_local_time(*n.restart_at) +
           ") to apply it " + required;
  if (n.action == Action::kRemind) return "restarting in " + left + " to apply " + n.version + " " + required;
  return "restarting now to apply " + n.version + ": the deadline has passed " + required;
}

}  // namespace

void TerminalUi::on_restart_notice(const RestartNotice& n) {
  using Action = RestartEscalation::Action;
  // The hint only where a typed "restart" is read, and not once the restart is under way.
  const std::string hint = reading_input_ && n.action != Action::kRestart ? " (type 'restart' to restart now)" : "";
  if (n.forced)
    say(forced_message(n) + hint);
  else if (n.action == Action::kNotify)
    say("update " + n.version + " ready: restart when convenient" + hint);
  else
    say("reminder: update " + n.version + " is ready: restart when convenient" + hint);
}

bool TerminalUi::on_restart_question(const std::string& version) {
  bool yes = ask_yes_no("Version " + version + " is ready. Restart to update? [Y/n] ");
  if (!yes) say("the update will be applied at the next start");
  return yes;
}

void TerminalUi::on_nothing_to_restart_for() { say("no update is ready to restart for"); }

void TerminalUi::say_not_saved(const std::string& error, const std::string& consequence) {
  say("could not save your work (" + error + "): " + consequence);
}

void TerminalUi::on_restart_blocked(const std::string& error, std::optional<std::chrono::minutes> retry_in) {
  say_not_saved(
      error, retry_in ? "not restarting; trying again in " + RestartEscalation::describe(*retry_in) : "not restarting");
}

void TerminalUi::on_restarting(const std::string& version) { say("restarting to update to " + version + "..."); }

}  // namespace upkeep
