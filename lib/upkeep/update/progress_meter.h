// ProgressMeter: what a progress display says, and whether it may say it
// again yet: the pure part of every progress display (the updater, the
// application's terminal face, `upkeep install`, `repair`, `mirror`,
// `bundle`, `release`), drawn by ProgressDisplay (progress_display.h).
//
// A line reads "downloading  42% [########            ] 3.4 MB of 8.1 MB,
// 1.2 MB/s, 4 s left": sizes in B, kB, MB, GB (powers of 1000, as the package sizes), the rate
// smoothed by DownloadRate over the last seconds, the time left at that
// rate. update() hands out a line at most once per kRedrawInterval, always
// the first one and the last one (done == total): a fast download draws
// about ten lines a second, whatever its size. The time comes from the
// Clock given (a FixedClock in tests).
//
// Not thread-safe: its owner serialises the calls. No failure mode.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "upkeep/platform/clock.h"
#include "upkeep/update/download_rate.h"

namespace upkeep {

// "812 B", "48.2 kB", "512 kB", "3.4 MB", "1.2 GB": powers of 1000, one decimal under 100.
std::string format_size(uint64_t bytes);
// "5 s", "2 min 05 s", "1 h 03 min".
std::string format_duration(std::chrono::seconds d);

class ProgressMeter {
 public:
  static constexpr std::chrono::milliseconds kRedrawInterval{100};
  enum class Unit { kBytes, kFiles, kSteps };  // kSteps: a bare count ("3 of 12")

  ProgressMeter(std::string label, std::shared_ptr<const Clock> clock, Unit unit = Unit::kBytes);

  // Records `done` of `total` (0: not known) now; `detail` ("12/40 files")
  // joins the line. Returns the line to draw, or nullopt when one was drawn
  // less than kRedrawInterval ago and this is neither the first report nor
  // the last (done == total). Fewer than before starts a new transfer (a retry).
  std::optional<std::string> update(uint64_t done, uint64_t total, const std::string& detail = "");
  // The line for the last report, drawn or not ("" before any).
  std::string line() const;
  // One line that sums the stage up: "downloading: 3.4 MB in 1.2 s (2.8 MB/s)".
  std::string summary() const;
  // Starts a new stage under `label`: no report yet.
  void restart(std::string label);
  const std::string& label() const { return label_; }

 private:
  std::string amount(uint64_t n) const;
  std::string rate_text(double per_second) const;

  std::string label_;
  std::shared_ptr<const Clock> clock_;
  Unit unit_;
  DownloadRate rate_;
  std::optional<Clock::TimePoint> started_, last_drawn_;
  uint64_t done_ = 0, total_ = 0, drawn_done_ = 0;
  std::string detail_;
};

}  // namespace upkeep
