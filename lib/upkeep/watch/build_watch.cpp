#include "upkeep/watch/build_watch.h"

#include <spdlog/spdlog.h>

namespace upkeep::watch {

namespace {
// With nothing pending the loop still wakes now and then; stop() wakes it anyway.
constexpr std::chrono::milliseconds kIdleWait = std::chrono::minutes(10);
}  // namespace

BuildWatch::BuildWatch(BuildWatchOptions options, std::vector<std::unique_ptr<ReleaseHandler>> handlers,
                       RoundReporter reporter, const Clock& clock)
    : options_(std::move(options)),
      handlers_(std::move(handlers)),
      reporter_(std::move(reporter)),
      watcher_(options_.build_dir),
      quiet_(options_.debounce, clock) {}

bool BuildWatch::counts(const TreeEvent& e) const {
  if (e.kind == TreeEvent::Kind::kRescanned) return true;
  if (e.path.empty()) return true;  // the build folder itself went away: the next round says so
  if (!e.directory) return options_.filter.counts(e.path);
  // A new folder's files are reported one by one (the watcher scans it).
  return e.kind == TreeEvent::Kind::kRemoved && options_.filter.counts_folder(e.path);
}

RoundReport BuildWatch::run_round() {
  RoundReport report;
  report.round.build_dir = options_.build_dir;
  bool go_on = true;
  for (size_t i = 0; i < handlers_.size(); ++i) {
    if (i > 0 && !go_on && owed_ > i) continue;
    try {
      go_on = handlers_[i]->run(report.round);
    } catch (const Error& e) {
      report.error = e;
    } catch (const std::exception& e) {  // a library's own exception (std::filesystem): reported the same way
      report.error = Error(ErrorCode::kFailure, e.what());
    }
    if (report.error) {
      report.failed_handler = handlers_[i]->name();
      owed_ = std::min(owed_, i);
      report.retry_in = quiet_.failed();
      return report;
    }
  }
  owed_ = SIZE_MAX;
  quiet_.succeeded();
  return report;
}

void BuildWatch::run() {
  while (!stopping_) {
    const auto left = quiet_.time_left();
    for (const TreeEvent& e : watcher_.wait(left ? *left : kIdleWait)) {
      if (!counts(e)) continue;
      spdlog::debug("watch: {} {}", static_cast<char>(e.kind), e.path);
      quiet_.note_change();
    }
    if (stopping_ || !quiet_.due()) continue;
    RoundReport report = run_round();
    if (reporter_) reporter_(report);
    if (options_.once) {
      if (report.error) throw *report.error;
      return;
    }
  }
}

void BuildWatch::stop() {
  stopping_ = true;
  watcher_.wake();
}

}  // namespace upkeep::watch
