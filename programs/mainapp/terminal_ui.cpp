#include "terminal_ui.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <thread>

#include "upkeep/update/release_selector.h"
#include "upkeep/update/restart_policy.h"

namespace upkeep {

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
  if (reading_input_.exchange(true)) return;  // one reader: a second round of the app reads on with it
  std::thread([queue = queue_] {
    std::string line;
    while (std::getline(std::cin, line)) queue->post({EventKind::kLine, {}, line});
  }).detach();
}

void TerminalUi::start_asking(const std::string& version) {
  {
    std::lock_guard<std::mutex> g(out_mutex_);
    std::printf("Version %s is ready. Restart to update? [Y/n] ", version.c_str());
    std::fflush(stdout);
  }
  std::thread([queue = queue_] {
    std::string answer;
    bool ended = !std::getline(std::cin, answer);
    queue->post({EventKind::kAnswer, {}, answer, ended});
  }).detach();
}

bool TerminalUi::take_answer(const Event& e) {
  if (e.end_of_input) say("(no answer: not restarting)");
  if (!e.end_of_input && !tty_) say(e.text);  // echo a piped answer so logs show it
  bool yes = !e.end_of_input && (e.text.empty() || e.text == "y" || e.text == "Y" || e.text == "yes");
  if (!yes) say("the update will be applied at the next start");
  return yes;
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

void TerminalUi::say_notice(const RestartNotice& n) {
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

void TerminalUi::say_restarting(const std::string& version) {
  if (!restarting_said_.exchange(true)) say("restarting to update to " + version + "...");
}

void TerminalUi::say_not_saved(const std::string& error, const std::string& consequence) {
  say("could not save your work (" + error + "): " + consequence);
}

void TerminalUi::show(const UpdateState& state) {
  UpdateState before;
  {
    std::lock_guard<std::mutex> g(shown_mutex_);
    before = shown_;
  }
  say_changes(before, state);
  {
    std::lock_guard<std::mutex> g(shown_mutex_);
    shown_ = state;
  }
  shown_cv_.notify_all();
  post({EventKind::kState, state, ""});
}

bool TerminalUi::wait_shown(uint64_t revision, std::chrono::steady_clock::time_point until) {
  std::unique_lock<std::mutex> lock(shown_mutex_);
  return shown_cv_.wait_until(lock, until, [&] { return shown_.revision >= revision; });
}

void TerminalUi::say_changes(const UpdateState& before, const UpdateState& now) {
  using Phase = UpdateState::Phase;
  const bool moved = now.phase != before.phase || now.version != before.version;
  if (moved && now.phase == Phase::kChecking) on_check_started();
  if (moved && now.phase == Phase::kUpToDate) on_up_to_date(now.running_version);
  if (moved && now.phase == Phase::kDownloading) {
    std::string notes = now.notes;
    while (!notes.empty() && std::isspace(static_cast<unsigned char>(notes.back()))) notes.pop_back();
    std::string size = now.bytes_total ? " (" + format_size(now.bytes_total) + ")" : "";
    begin_download(now.version);
    say("found version " + now.version + size + (notes.empty() ? "" : ": " + notes));
  }
  if (now.phase == Phase::kDownloading && now.bytes_total > 0 && now.bytes_done != before.bytes_done)
    on_download_progress(now.bytes_done, now.bytes_total);
  // The download is over, whether or not its last bytes were shown: the bar's line ends (a failure: on_error ends it).
  if (moved && before.phase == Phase::kDownloading && now.phase != Phase::kFailed) on_verifying(before.version);
  if (moved && now.phase == Phase::kStaged) say("version " + now.version + " downloaded, verified and staged");
  if (now.phase == Phase::kFailed && (moved || now.error != before.error)) on_error(now.error);
  if (now.phase == Phase::kUpdatesOff && (moved || now.error != before.error)) on_updates_off(now.error);
  if (moved && now.phase == Phase::kRestarting) say_restarting(now.version);
  say_prompt(before, now);
  // Other news: a restart asked for with nothing staged, a skip refused. A blocked save was said by the save hook.
  const bool phase_error = now.phase == Phase::kFailed || now.phase == Phase::kUpdatesOff;
  if (!phase_error && !now.error.empty() && now.error != before.error &&
      now.error.rfind("not restarting: your work could not be saved", 0) != 0)
    say(now.error);
}

// A notice: a new prompt, or the same one again with nothing else changed (a reminder).
void TerminalUi::say_prompt(const UpdateState& before, const UpdateState& now) {
  using Prompt = UpdateState::Prompt;
  using Action = RestartEscalation::Action;
  if (now.prompt == Prompt::kNone || now.prompt == Prompt::kAsk || now.phase == UpdateState::Phase::kRestarting) return;
  const bool again = now.prompt == before.prompt && now.phase == before.phase && now.version == before.version &&
                     now.error == before.error && now.dismissed == before.dismissed &&
                     now.restart_at == before.restart_at && now.revision != before.revision;
  if (now.prompt == before.prompt && !again) return;
  RestartNotice n;
  n.version = now.version;
  if (now.prompt == Prompt::kForced) {
    n.forced = true;
    n.restart_at = now.restart_at;
    n.required_by = now.required_by;
    auto left =
        now.restart_at
            ? std::chrono::duration_cast<std::chrono::seconds>(*now.restart_at - std::chrono::system_clock::now())
            : std::chrono::seconds(0);
    n.left = std::max(left, std::chrono::seconds(0));
    n.action = left.count() <= 0                  ? Action::kRestart
               : before.prompt != Prompt::kForced ? Action::kNotify
                                                  : Action::kRemind;
  } else {
    n.action = now.prompt == Prompt::kNotify ? Action::kNotify : Action::kRemind;
  }
  say_notice(n);
}

}  // namespace upkeep
