#include "upkeep/update/console_reporter.h"

#include <cstdio>

#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"
#include "upkeep/update/release_selector.h"

namespace upkeep {
namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string ConsoleReporter::megabytes(uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(b) / 1e6);
  return buf;
}

ConsoleReporter::ConsoleReporter(Progress progress, bool quiet) : quiet_(quiet) {
  tty_ = fs::is_terminal(2);
  show_progress_ = !quiet && (progress == Progress::kAlways || (progress == Progress::kAuto && tty_));
}

ConsoleReporter::Progress ConsoleReporter::parse_progress(const std::string& s) {
  if (s == "auto") return Progress::kAuto;
  if (s == "always") return Progress::kAlways;
  if (s == "never") return Progress::kNever;
  fail(ErrorCode::kUsage, "--progress expects auto, always or never, got '" + s + "'");
}

void ConsoleReporter::say(const std::string& line) {
  if (quiet_) return;
  std::lock_guard<std::mutex> g(out_mutex_);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

void ConsoleReporter::on_check_started() { say("checking for updates..."); }

void ConsoleReporter::on_up_to_date(const std::string& current_version) {
  say("up to date (" + (current_version.empty() ? std::string("nothing installed") : current_version) + ")");
}

void ConsoleReporter::on_update_found(const ReleaseInfo& release) {
  {
    std::lock_guard<std::mutex> g(out_mutex_);
    last_step_ = -1;
  }
  std::string notes = trimmed(release.notes);
  say("found version " + release.version + " (" + ConsoleReporter::megabytes(release.package.length) + ")" +
      (notes.empty() ? "" : ": " + notes));
}

void ConsoleReporter::on_download_progress(uint64_t done, uint64_t total) {
  if (!show_progress_ || total == 0) return;
  int percent = static_cast<int>(done * 100 / total);
  std::lock_guard<std::mutex> g(out_mutex_);
  if (tty_) {
    int filled = percent / 5;
    std::fprintf(stderr, "\rdownloading [%-20s] %3d%% %s / %s", std::string(static_cast<size_t>(filled), '#').c_str(),
                 percent, megabytes(done).c_str(), megabytes(total).c_str());
    if (done >= total) std::fputc('\n', stderr);
    std::fflush(stderr);
    return;
  }
  int step = percent / 25;
  if (step == last_step_) return;
  last_step_ = step;
  std::printf("downloading: %3d%% (%s of %s)\n", percent, megabytes(done).c_str(), megabytes(total).c_str());
  std::fflush(stdout);
}

void ConsoleReporter::on_staged(const ReleaseInfo& release) {
  say("version " + release.version + " downloaded, verified and staged");
}

void ConsoleReporter::on_quarantined(const std::string& version, int failures, const std::string& last_error) {
  print_always("version " + version + " quarantined after " + std::to_string(failures) +
               " failed tries: it will not be offered again (last error: " + last_error + ")");
}

void ConsoleReporter::on_error(const std::string& message) { print_always("update failed: " + message); }

// An administrator's decision the user should see, even in quiet mode.
void ConsoleReporter::on_updates_off(const std::string& why) { print_always(why); }

// Failures are printed even in quiet mode.
void ConsoleReporter::print_always(const std::string& line) {
  std::lock_guard<std::mutex> g(out_mutex_);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace upkeep
