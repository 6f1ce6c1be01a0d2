// ProgressDisplay: the one progress display of every program, on stderr.
//
// kBar (stderr is a terminal): one line redrawn in place ("\r"), at most
// every ProgressMeter::kRedrawInterval, ended by a newline when the stage
// finishes. kLines (not a terminal, with --verbose): no redraws, one line
// per stage, its summary, when it finishes. kOff: nothing (not a terminal
// and no --verbose, or --quiet/--json): a log or a pipe gets no progress bytes.
// What the line says: progress_meter.h.
//
// Not thread-safe: its owner serialises the calls (ConsoleReporter holds its
// output mutex). Writes are best effort: an error writing stderr is ignored.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "upkeep/platform/clock.h"
#include "upkeep/update/progress_meter.h"

namespace upkeep {

class ProgressDisplay {
 public:
  enum class Mode { kOff, kBar, kLines };
  // kBar when stderr is a terminal; otherwise kLines with `verbose`, else kOff.
  static Mode for_stderr(bool verbose);

  explicit ProgressDisplay(Mode mode, std::string label = "", ProgressMeter::Unit unit = ProgressMeter::Unit::kBytes,
                           std::FILE* out = stderr, std::shared_ptr<const Clock> clock = SystemClock::instance());
  ~ProgressDisplay();  // ends a line left open (a stage that failed)
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  Mode mode() const { return mode_; }
  // Starts a new stage under `label` (finishing the one before, if any).
  void start(std::string label);
  // Reports `done` of `total` (0: not known); see ProgressMeter::update.
  void update(uint64_t done, uint64_t total, const std::string& detail = "");
  // A copy of many files whose total is not known ahead (`upkeep mirror`, `bundle`): "12/40 files" and the bytes so
  // far.
  void update_files(size_t files_done, size_t files_known, uint64_t bytes);
  // The stage is over: the bar's line ends (drawn complete), or kLines prints its summary. Once per stage.
  void finish();
  // Ends the bar's line without a summary, so a message can follow on a line of its own (a failure).
  void interrupt();

 private:
  void draw(const std::string& line);

  Mode mode_;
  std::FILE* out_;
  ProgressMeter meter_;
  bool reported_ = false;   // update() called since start
  bool line_open_ = false;  // a bar drawn and not yet ended
  std::string drawn_;       // the bar's line on screen now
};

}  // namespace upkeep
