// ConsoleReporter: an UpdateObserver that reports on the console.
//
// Status lines go to stdout; download progress goes to stderr through
// ProgressDisplay (progress_display.h): with kAuto a redrawn bar when stderr
// is a terminal, else one line per download with `verbose` and nothing
// without; kAlways draws the bar whatever stderr is (the launcher asks for it
// when it shows the updater's output on its terminal); kNever draws nothing.
// quiet=true prints nothing but errors and quarantines (silent mode). Thread-safe.
#pragma once

#include <mutex>
#include <string>

#include "upkeep/update/progress_display.h"
#include "upkeep/update/update_observer.h"

namespace upkeep {

class ConsoleReporter : public UpdateObserver {
 public:
  enum class Progress { kAuto, kAlways, kNever };
  explicit ConsoleReporter(Progress progress, bool quiet = false, bool verbose = false);
  // "auto" | "always" | "never"; Error(kUsage) otherwise.
  static Progress parse_progress(const std::string& s);

  void on_check_started() override;
  void on_up_to_date(const std::string& current_version) override;
  void on_update_found(const ReleaseInfo& release) override;
  void on_download_progress(uint64_t done, uint64_t total) override;
  void on_verifying(const std::string& version) override;
  void on_staged(const ReleaseInfo& release) override;
  void on_quarantined(const std::string& version, int failures, const std::string& last_error) override;
  void on_error(const std::string& message) override;
  void on_updates_off(const std::string& why) override;

  void say(const std::string& line);
  // A download of `version` begins: the progress display's next stage.
  void begin_download(const std::string& version);

 protected:
  std::mutex out_mutex_;
  bool tty_ = false;

 private:
  void print_always(const std::string& line);
  bool quiet_ = false;
  ProgressDisplay progress_;  // under out_mutex_
};

}  // namespace upkeep
