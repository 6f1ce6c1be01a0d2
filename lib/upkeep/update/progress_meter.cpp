#include "upkeep/update/progress_meter.h"

#include <cinttypes>
#include <cstdio>

namespace upkeep {
namespace {

constexpr int kBarWidth = 20;

std::string scaled(double value, const char* unit) {
  char buf[48];
  std::snprintf(buf, sizeof buf, value < 99.95 ? "%.1f %s" : "%.0f %s", value, unit);  // never "100.0"
  return buf;
}

}  // namespace

std::string format_size(uint64_t bytes) {
  if (bytes < 1000) return std::to_string(bytes) + " B";
  const double b = static_cast<double>(bytes);
  // 999 500 bytes would round to "1000 kB": the next unit from there.
  if (b < 999.5e3) return scaled(b / 1e3, "kB");
  if (b < 999.5e6) return scaled(b / 1e6, "MB");
  return scaled(b / 1e9, "GB");
}

std::string format_duration(std::chrono::seconds d) {
  const int64_t s = d.count() < 0 ? 0 : d.count();
  char buf[48];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%" PRId64 " s", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%" PRId64 " min %02" PRId64 " s", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%" PRId64 " h %02" PRId64 " min", s / 3600, s / 60 % 60);
  return buf;
}

ProgressMeter::ProgressMeter(std::string label, std::shared_ptr<const Clock> clock, Unit unit)
    : label_(std::move(label)), clock_(std::move(clock)), unit_(unit), rate_(clock_) {}

void ProgressMeter::restart(std::string label) {
  label_ = std::move(label);
  rate_.reset();
  started_.reset();
  last_drawn_.reset();
  done_ = total_ = drawn_done_ = 0;
  detail_.clear();
}

std::optional<std::string> ProgressMeter::update(uint64_t done, uint64_t total, const std::string& detail) {
  const Clock::TimePoint now = clock_->now();
  const bool retry = started_ && done < done_;
  if (!started_ || retry) {
    started_ = now;
    last_drawn_.reset();
  }
  done_ = done;
  total_ = total;
  detail_ = detail;
  rate_.add(done);
  const bool last = total > 0 && done >= total;
  const bool due = !last_drawn_ || now - *last_drawn_ >= kRedrawInterval;
  // The last report is drawn once, even when it comes right after another line.
  if (!due && !(last && drawn_done_ != done)) return std::nullopt;
  last_drawn_ = now;
  drawn_done_ = done;
  return line();
}

std::string ProgressMeter::amount(uint64_t n) const {
  return unit_ == Unit::kBytes ? format_size(n) : std::to_string(n);
}

std::string ProgressMeter::rate_text(double per_second) const {
  if (unit_ == Unit::kBytes) return format_size(static_cast<uint64_t>(per_second)) + "/s";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f files/s", per_second);
  return buf;
}

std::string ProgressMeter::line() const {
  if (!started_) return "";
  std::string s = label_;
  if (total_ > 0) {
    const uint64_t shown = std::min(done_, total_);
    const int percent = static_cast<int>(shown * 100 / total_);
    const int filled = static_cast<int>(shown * kBarWidth / total_);
    char head[64];
    std::snprintf(head, sizeof head, " %3d%% [%-*s] ", percent, kBarWidth, std::string(filled, '#').c_str());
    s += head + amount(done_) + " of " + amount(total_) + (unit_ == Unit::kFiles ? " files" : "");
  } else {
    s += ": " + amount(done_) + (unit_ == Unit::kFiles ? " files" : "");
  }
  if (!detail_.empty()) s += ", " + detail_;
  if (const double r = rate_.bytes_per_second(); r > 0) s += ", " + rate_text(r);
  if (total_ > 0 && done_ < total_)
    if (auto left = rate_.eta(done_, total_)) s += ", " + format_duration(*left) + " left";
  return s;
}

std::string ProgressMeter::summary() const {
  if (!started_) return label_ + ": nothing";
  const double seconds = std::chrono::duration<double>(clock_->now() - *started_).count();
  char took[32];
  std::snprintf(took, sizeof took, "%.1f s", seconds);
  std::string s = label_ + ": " + amount(done_) + (unit_ == Unit::kFiles ? " files" : "");
  if (!detail_.empty()) s += " (" + detail_ + ")";
  s += std::string(" in ") + took;
  if (seconds >= 0.05) s += " (" + rate_text(static_cast<double>(done_) / seconds) + ")";
  return s;
}

}  // namespace upkeep
