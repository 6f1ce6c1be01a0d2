// ConsoleReporter: an UpdateObserver that reports on the console.
//
// Status lines go to stdout; download progress is a redrawn bar on a
// terminal (stderr), a line every 25% with Progress::kAlways when not on a
// terminal, and nothing with kNever or when not on a terminal in kAuto.
// quiet=true prints nothing but errors and quarantines (silent mode). Thread-safe.
#pragma once

#include <mutex>
#include <string>

#include "upkeep/update/update_observer.h"

namespace upkeep {

class ConsoleReporter : public UpdateObserver {
 public:
  enum class Progress { kAuto, kAlways, kNever };
  explicit ConsoleReporter(Progress progress, bool quiet = false);
  // "auto" | "always" | "never"; Error(kUsage) otherwise.
  static Progress parse_progress(const std::string& s);

  void on_check_started() override;
  void on_up_to_date(const std::string& current_version) override;
  void on_update_found(const ReleaseInfo& release) override;
  void on_download_progress(uint64_t done, uint64_t total) override;
  void on_staged(const ReleaseInfo& release) override;
  void on_quarantined(const std::string& version, int failures, const std::string& last_error) override;
  void on_error(const std::string& message) override;
  void on_updates_off(const std::string& why) override;

  void say(const std::string& line);
  static std::string megabytes(uint64_t bytes);  // "0.9 MB"

 protected:
  std::mutex out_mutex_;
  bool tty_ = false;

 private:
  void print_always(const std::string& line);
  bool show_progress_ = false;
  bool quiet_ = false;
  int last_step_ = -1;
};

}  // namespace upkeep
