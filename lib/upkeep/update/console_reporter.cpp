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

namespace {

ProgressDisplay::Mode display_mode(ConsoleReporter::Progress progress, bool quiet, bool verbose) {
  if (quiet || progress == ConsoleReporter::Progress::kNever) return ProgressDisplay::Mode::kOff;
  if (progress == ConsoleReporter::Progress::kAlways) return ProgressDisplay::Mode::kBar;
  return ProgressDisplay::for_stderr(verbose);
}

}  // namespace

ConsoleReporter::ConsoleReporter(Progress progress, bool quiet, bool verbose)
    : tty_(fs::is_terminal(2)), quiet_(quiet), progress_(display_mode(progress, quiet, verbose), "downloading") {}

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

void ConsoleReporter::begin_download(const std::string& version) {
  std::lock_guard<std::mutex> g(out_mutex_);
  progress_.start("downloading " + version);
}

void ConsoleReporter::on_update_found(const ReleaseInfo& release) {
  begin_download(release.version);
  std::string notes = trimmed(release.notes);
  say("found version " + release.version + " (" + format_size(release.package.length) + ")" +
      (notes.empty() ? "" : ": " + notes));
}

void ConsoleReporter::on_download_progress(uint64_t done, uint64_t total) {
  if (total == 0) return;
  std::lock_guard<std::mutex> g(out_mutex_);
  progress_.update(done, total);
  if (done >= total) progress_.finish();
}

void ConsoleReporter::on_verifying(const std::string&) {
  std::lock_guard<std::mutex> g(out_mutex_);
  progress_.finish();
}

void ConsoleReporter::on_staged(const ReleaseInfo& release) {
  say("version " + release.version + " downloaded, verified and staged");
}

void ConsoleReporter::on_quarantined(const std::string& version, int failures, const std::string& last_error) {
  print_always("version " + version + " quarantined after " + std::to_string(failures) +
               " failed tries: it will not be offered again (last error: " + last_error + ")");
}

void ConsoleReporter::on_error(const std::string& message) {
  {
    std::lock_guard<std::mutex> g(out_mutex_);
    progress_.interrupt();  // the message on a line of its own
  }
  print_always("update failed: " + message);
}

// An administrator's decision the user should see, even in quiet mode.
void ConsoleReporter::on_updates_off(const std::string& why) { print_always(why); }

// Failures are printed even in quiet mode.
void ConsoleReporter::print_always(const std::string& line) {
  std::lock_guard<std::mutex> g(out_mutex_);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace upkeep
