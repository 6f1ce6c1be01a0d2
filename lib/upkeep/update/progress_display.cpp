#include "upkeep/update/progress_display.h"

#include "upkeep/platform/fs.h"

namespace upkeep {

ProgressDisplay::Mode ProgressDisplay::for_stderr(bool verbose) {
  if (fs::is_terminal(2)) return Mode::kBar;
  return verbose ? Mode::kLines : Mode::kOff;
}

ProgressDisplay::ProgressDisplay(Mode mode, std::string label, ProgressMeter::Unit unit, std::FILE* out,
                                 std::shared_ptr<const Clock> clock)
    : mode_(mode), out_(out), meter_(std::move(label), std::move(clock), unit) {}

ProgressDisplay::~ProgressDisplay() { interrupt(); }

void ProgressDisplay::start(std::string label) {
  if (reported_) finish();
  meter_.restart(std::move(label));
  reported_ = false;
}

void ProgressDisplay::update(uint64_t done, uint64_t total, const std::string& detail) {
  if (mode_ == Mode::kOff) return;
  reported_ = true;
  auto line = meter_.update(done, total, detail);
  if (mode_ == Mode::kBar && line) draw(*line);
}

void ProgressDisplay::update_files(size_t files_done, size_t files_known, uint64_t bytes) {
  update(bytes, 0, std::to_string(files_done) + "/" + std::to_string(files_known) + " files");
}

void ProgressDisplay::finish() {
  if (mode_ == Mode::kOff || !reported_) return;
  reported_ = false;
  if (mode_ == Mode::kLines) {
    std::fprintf(out_, "%s\n", meter_.summary().c_str());
    std::fflush(out_);
    return;
  }
  if (const std::string last = meter_.line(); last != drawn_) draw(last);  // the last report, when not drawn
  interrupt();
}

void ProgressDisplay::interrupt() {
  if (!line_open_) return;
  std::fputc('\n', out_);
  std::fflush(out_);
  line_open_ = false;
  drawn_.clear();
}

// Over the line before: "\r", the line, and blanks where the longer one before had characters.
void ProgressDisplay::draw(const std::string& line) {
  const size_t pad = drawn_.size() > line.size() ? drawn_.size() - line.size() : 0;
  std::fprintf(out_, "\r%s%*s", line.c_str(), static_cast<int>(pad), "");
  std::fflush(out_);
  drawn_ = line;
  line_open_ = true;
}

}  // namespace upkeep
