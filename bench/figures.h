// FigureSet: the figures one benchmark run found, each beside the target
// docs/benchmarks.md states for it, printed by the benchmark's --json as one
// JSON object that scripts/bench.sh collects into the doc's figures section
// (scripts/bench_figures.py reads it):
//
//   {"bench": NAME, "started": ISO time, "load": {"start": L, "end": L},
//    "figures": [{"name", "value", "unit", "target", "target_text", "met", "note"}],
//    "params": {...}, "detail": {...}}
//
// With --json, stdout is pointed at stderr from construction on, so the
// benchmark's human text (and its children's) stays visible on stderr and
// stdout holds only the object print() writes. The destructor points stdout
// back, also when the run throws: run_command() then prints its JSON error
// there. Header-only, main thread only; the object is written by print() alone.
#pragma once

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>

#include "bench_util.h"
#include "upkeep/base/json.h"

namespace upkeep::bench {

// `v` with `decimals` digits after the point, for a figure's note.
inline std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

class FigureSet {
 public:
  FigureSet(std::string bench, bool json) : json_(json) {
    doc_["bench"] = std::move(bench);
    doc_["started"] = iso_now();
    doc_["load"]["start"] = rounded(load_average_1min());
    doc_["figures"] = Json::array();
    doc_["params"] = Json::object();
    if (!json_) return;
    std::fflush(stdout);
    saved_stdout_ = ::dup(STDOUT_FILENO);
    if (saved_stdout_ >= 0) ::dup2(STDERR_FILENO, STDOUT_FILENO);
  }
  ~FigureSet() { restore_stdout(); }
  FigureSet(const FigureSet&) = delete;
  FigureSet& operator=(const FigureSet&) = delete;

  bool json() const { return json_; }
  // A parameter the run used (its sizes and run counts): the figures mean nothing without them.
  void param(const std::string& name, Json value) { doc_["params"][name] = std::move(value); }
  // Raw results beyond the figures, for whoever wants more than the doc's table.
  void detail(Json value) { doc_["detail"] = std::move(value); }

  // A figure with no stated target.
  void add(const std::string& name, double value, const std::string& unit, const std::string& note = "") {
    add_figure(name, value, unit, std::nullopt, "", std::nullopt, note);
  }
  // A figure met when value <= limit (or < limit when `strict`); target_text as the doc states it ("≤ 1.2x").
  // Returns whether it is met, for the benchmark's own text: the target lives here only.
  bool at_most(const std::string& name, double value, const std::string& unit, double limit,
               const std::string& target_text, const std::string& note = "", bool strict = false) {
    const bool met = strict ? value < limit : value <= limit;
    add_figure(name, value, unit, limit, target_text, met, note);
    return met;
  }

  // Prints the object (when --json) on the stdout the program was started with.
  void print() {
    doc_["load"]["end"] = rounded(load_average_1min());
    if (!json_) return;
    restore_stdout();
    std::printf("%s\n", doc_.dump(0).c_str());
    std::fflush(stdout);
  }

 private:
  void add_figure(const std::string& name, double value, const std::string& unit, std::optional<double> target,
                  const std::string& target_text, std::optional<bool> met, const std::string& note) {
    Json f = Json::object();
    f["name"] = name;
    // A ratio over an empty sample is not a number; JSON has no NaN, so it is null with a note.
    const bool finite = std::isfinite(value);
    f["value"] = finite ? Json(rounded(value)) : Json(nullptr);
    f["unit"] = unit;
    f["target"] = target ? Json(*target) : Json(nullptr);
    f["target_text"] = target_text;
    f["met"] = met && finite ? Json(*met) : Json(nullptr);
    f["note"] = finite ? note : (note.empty() ? "not a number" : note + "; not a number");
    doc_["figures"].push_back(std::move(f));
  }
  void restore_stdout() {
    if (saved_stdout_ < 0) return;
    std::fflush(stdout);
    ::dup2(saved_stdout_, STDOUT_FILENO);
    ::close(saved_stdout_);
    saved_stdout_ = -1;
  }
  // Six significant digits: the figures are medians of noisy runs, not exact values.
  static double rounded(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return std::strtod(buf, nullptr);
  }
  static std::string iso_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
  }

  bool json_;
  int saved_stdout_ = -1;
  Json doc_ = Json::object();
};

}  // namespace upkeep::bench
