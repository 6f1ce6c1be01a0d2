#include "terminal_ui.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "update/release_selector.h"

namespace upkeep {

namespace {
std::string megabytes(uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(b) / 1e6);
  return buf;
}
}  // namespace

TerminalUi::TerminalUi(Progress progress) {
  tty_ = ::isatty(STDERR_FILENO) == 1;
  show_progress_ = progress == Progress::kAlways || (progress == Progress::kAuto && tty_);
}

void TerminalUi::say(const std::string& line) {
  std::lock_guard<std::mutex> g(out_mutex_);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

void TerminalUi::on_check_started() { say("checking for updates..."); }

void TerminalUi::on_up_to_date(const std::string& current_version) {
  say("up to date (" + (current_version.empty() ? std::string("nothing installed") : current_version) + ")");
}

void TerminalUi::on_update_found(const ReleaseInfo& release) {
  last_step_ = -1;
  say("found version " + release.version + " (" + megabytes(release.package.length) + ")" +
      (release.notes.empty() ? "" : ": " + release.notes));
}

void TerminalUi::on_download_progress(uint64_t done, uint64_t total) {
  if (!show_progress_ || total == 0) return;
  int percent = static_cast<int>(done * 100 / total);
  std::lock_guard<std::mutex> g(out_mutex_);
  if (tty_) {
    // One redrawn line on a terminal.
    int filled = percent / 5;
    std::fprintf(stderr, "\rdownloading [%-20s] %3d%% %s / %s", std::string(static_cast<size_t>(filled), '#').c_str(),
                 percent, megabytes(done).c_str(), megabytes(total).c_str());
    if (done >= total) std::fputc('\n', stderr);
    std::fflush(stderr);
  } else {
    // Elsewhere (logs, --progress=always): a line every 25%.
    int step = percent / 25;
    if (step == last_step_) return;
    last_step_ = step;
    std::printf("downloading: %d%% (%s of %s)\n", percent, megabytes(done).c_str(), megabytes(total).c_str());
    std::fflush(stdout);
  }
}

void TerminalUi::on_staged(const ReleaseInfo& release) {
  say("version " + release.version + " downloaded, verified and staged");
  post({EventKind::kStaged, release.version});
}

void TerminalUi::on_error(const std::string& message) { say("update failed: " + message); }

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
  if (!tty_) say(answer);  // echo piped answers so logs show them
  return answer.empty() || answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace upkeep
