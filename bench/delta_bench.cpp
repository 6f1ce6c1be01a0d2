// delta_bench: what a delta update of real software costs the client,
// side by side with the full package and with Debian's delta tools.
//
// The application folders are Debian packages of several versions of the
// same programs, unpacked by bench/delta/fetch_debs.sh (regular files only).
// For each series it publishes consecutive versions with the real `upkeep`
// (keys init, release 1.0.0, 2.0.0[, 3.0.0], default --delta-from), installs
// the older version with `upkeep install`, and runs the install root's real
// `upkeep-updater` against an in-process RepoServer R times (fresh copy of
// the root each time), measuring the bytes served, the staging run's wall
// time and the updater's peak RSS; each staged version is applied and checked
// file by file. Beside it: the full package.zip, and the best per file of
// bsdiff, xdelta3 -9 -D and zstd -19 --long=31 --patch-from (tool_baseline.h).
// openssl also goes 1.0.0 -> 3.0.0 directly (patches from any older release).
//
// usage: delta_bench [--apps DIR] [--cache DIR] [--runs R] [--only NAME]
//                    [--tools-only] [--json] [--keep]
// Prints a Markdown table and whether the targets are met; with --json the
// table goes to stderr and stdout holds the figures (bench/figures.h), the raw
// rows as their "detail".
#include <cinttypes>
#include <cstdio>

#include "bench_util.h"
#include "delta/series_repo.h"
#include "delta/tool_baseline.h"
#include "figures.h"
#include "upkeep/base/command_line.h"

namespace upkeep::bench {
namespace {

struct Series {
  std::string name;                   // Debian package = folder under APPS
  std::vector<std::string> versions;  // Debian versions, oldest first; released as 1.0.0, 2.0.0, ...
};

const std::vector<Series> kSeries = {
    {"openssl", {"3.0.17-1~deb12u2", "3.0.20-1~deb12u2", "3.0.22-1~deb12u2"}},
    {"postgresql-15", {"15.18-0+deb12u1", "15.20-0+deb12u1"}},
    {"libreoffice-core", {"4:7.4.7-1+deb12u13", "4:7.4.7-1+deb12u14"}},
    // Browser-class, across a major version, main binaries near 200 MB.
    {"chromium", {"150.0.7871.100-1~deb12u1", "156.0.8078.129-1~deb12u1"}},
    {"firefox-esr", {"140.12.0esr-1~deb12u1", "153.8.0esr-1~deb12u1"}},
};

std::string release_version(size_t i) { return std::to_string(i + 1) + ".0.0"; }

struct Row {
  std::string package, from, to;  // Debian versions
  uint64_t zip = 0;
  ToolBaseline tools;
  std::vector<StagingRun> runs;
  double release_s = 0;  // `upkeep release` of the newer version
  double median_ms() const {
    std::vector<double> v;
    for (const auto& r : runs) v.push_back(r.ms);
    return stats_of(v).median;
  }
  template <class F>
  uint64_t median_of(F f) const {
    std::vector<double> v;
    for (const auto& r : runs) v.push_back(static_cast<double>(f(r)));
    return static_cast<uint64_t>(stats_of(v).median);
  }
  uint64_t bytes() const {
    return median_of([](const StagingRun& r) { return r.bytes; });
  }
  uint64_t rss_kib() const {
    return median_of([](const StagingRun& r) { return r.max_rss_kib; });
  }
};

std::string human(uint64_t b) {
  char buf[32];
  if (b >= (10u << 20))
    std::snprintf(buf, sizeof buf, "%.1f MiB", b / 1048576.0);
  else if (b >= (10u << 10))
    std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
  else
    std::snprintf(buf, sizeof buf, "%" PRIu64 " B", b);
  return buf;
}

std::string pct(uint64_t a, uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %%", b ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : 0.0);
  return buf;
}

void print_table(const std::vector<Row>& rows, bool tools_only) {
  std::printf(
      "\n| package | from → to | changed + new files | full zip | upkeep downloaded | upkeep / zip | tools "
      "best-of-3 | upkeep / tools | staging (median) | peak RSS (median) |\n"
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (const Row& r : rows) {
    bool have = !tools_only && !r.runs.empty();
    std::printf("| %s | %s → %s | %zu + %zu of %zu | %s | %s | %s | %s | %s | %s | %s |\n", r.package.c_str(),
                r.from.c_str(), r.to.c_str(), r.tools.changed, r.tools.added, r.tools.files,
                r.zip ? human(r.zip).c_str() : "TBD", have ? human(r.bytes()).c_str() : "TBD",
                have ? pct(r.bytes(), r.zip).c_str() : "TBD", human(r.tools.best_of_three).c_str(),
                have ? pct(r.bytes(), r.tools.best_of_three).c_str() : "TBD",
                have ? (std::to_string(static_cast<long>(r.median_ms())) + " ms").c_str() : "TBD",
                have ? human(r.rss_kib() * 1024).c_str() : "TBD");
  }
  std::printf(
      "\n| package | from → to | bytes of changed + new files | bsdiff | xdelta3 -9 -D | zstd -19 --long=31 "
      "--patch-from | best of three per file | upkeep: package / blobs / patches / metadata | release time |\n"
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |\n");
  for (const Row& r : rows) {
    std::string split = "TBD";
    if (!tools_only && !r.runs.empty()) {
      const StagingRun& s = r.runs.front();
      split = human(s.package_bytes) + " / " + human(s.blob_bytes) + " / " + human(s.patch_bytes) + " / " +
              human(s.bytes - s.package_bytes - s.blob_bytes - s.patch_bytes);
    }
    char rel[32];
    std::snprintf(rel, sizeof rel, "%.1f s", r.release_s);
    std::printf("| %s | %s → %s | %s | %s | %s | %s | %s | %s | %s |\n", r.package.c_str(), r.from.c_str(),
                r.to.c_str(), human(r.tools.changed_bytes).c_str(), human(r.tools.bsdiff).c_str(),
                human(r.tools.xdelta3).c_str(), human(r.tools.zstd).c_str(), human(r.tools.best_of_three).c_str(),
                split.c_str(), tools_only ? "TBD" : rel);
  }
}

// The raw rows, kept as the --json object's "detail".
Json rows_json(const std::vector<Row>& rows) {
  Json out = Json::array();
  for (const Row& r : rows) {
    const ToolBaseline& t = r.tools;
    Json j = Json::object();
    j["package"] = r.package;
    j["from"] = r.from;
    j["to"] = r.to;
    j["zip"] = r.zip;
    j["files"] = static_cast<uint64_t>(t.files);
    j["changed"] = static_cast<uint64_t>(t.changed);
    j["added"] = static_cast<uint64_t>(t.added);
    j["changed_bytes"] = t.changed_bytes;
    j["bsdiff"] = t.bsdiff;
    j["xdelta3"] = t.xdelta3;
    j["zstd"] = t.zstd;
    j["best_of_three"] = t.best_of_three;
    j["release_seconds"] = r.release_s;
    j["runs"] = Json::array();
    for (const StagingRun& s : r.runs) {
      Json k = Json::object();
      k["bytes"] = s.bytes;
      k["package"] = s.package_bytes;
      k["blobs"] = s.blob_bytes;
      k["patches"] = s.patch_bytes;
      k["ms"] = s.ms;
      k["max_rss_kib"] = s.max_rss_kib;
      j["runs"].push_back(std::move(k));
    }
    out.push_back(std::move(j));
  }
  return out;
}

// Per row: upkeep within the tools' sum, a patch release under 10 % of the zip, peak RSS under 256 MiB.
bool print_targets(const std::vector<Row>& rows, FigureSet& figures) {
  bool all = true;
  std::printf("\ntargets:\n");
  for (const Row& r : rows) {
    if (r.runs.empty()) continue;
    const std::string pair = r.package + " " + r.from + " -> " + r.to + ": ";
    const auto b = static_cast<double>(r.bytes());
    const bool ratio_ok =
        figures.at_most(pair + "downloaded / zip", b * 100 / static_cast<double>(r.zip), "%", 10, "< 10 %", "", true);
    const bool bytes_ok = figures.at_most(pair + "downloaded / tools' best of three",
                                          b * 100 / static_cast<double>(r.tools.best_of_three), "%", 100, "≤ 100 %");
    const bool rss_ok = figures.at_most(pair + "updater's peak RSS", static_cast<double>(r.rss_kib()) / 1024, "MiB",
                                        256, "< 256 MiB", "", true);
    all = all && bytes_ok && ratio_ok && rss_ok;
    std::printf("  %s %s -> %s: downloaded <= tools %s, < 10 %% of zip %s, RSS < 256 MiB %s\n", r.package.c_str(),
                r.from.c_str(), r.to.c_str(), bytes_ok ? "met" : "NOT met", ratio_ok ? "met" : "NOT met",
                rss_ok ? "met" : "NOT met");
  }
  return all;
}

int run(const std::vector<std::string>& argv) {
  const ParsedArgs args = CommandLine("delta_bench", "Compares delta update sizes and times with other tools.")
                              .option("apps", "DIR", "the apps folder")
                              .option("cache", "DIR", "the tools' cache")
                              .option("runs", "N", "measured runs, default 3")
                              .option("only", "NAME", "one app only")
                              .flag("tools-only", "only the other tools")
                              .flag("json", "print the figures as one JSON object (the text goes to stderr)")
                              .flag("keep", "keep the work folders")
                              .parse(argv);
  const stdfs::path apps = args.value_or("apps", (build_dir() / "delta-bench" / "apps").string());
  const stdfs::path cache = args.value_or("cache", (build_dir() / "delta-bench" / "tool-cache").string());
  const int runs = static_cast<int>(args.int_value_or("runs", 3, 1, 100));
  const bool tools_only = args.flag("tools-only");
  const auto only = args.value("only");
  FigureSet figures("delta_bench", args.flag("json"));
  figures.param("runs", runs);
  figures.param("only", only ? *only : "");
  figures.param("tools_only", tools_only);
  std::fprintf(stderr, "delta_bench: apps %s, %d staging runs a pair, load %.2f\n", apps.c_str(), runs,
               load_average_1min());
  double t0 = now_ms();

  std::vector<Row> rows;
  for (const Series& s : kSeries) {
    if (only && *only != s.name) continue;
    auto folder = [&](size_t i) { return apps / s.name / s.versions[i]; };
    for (size_t i = 0; i < s.versions.size(); ++i)
      if (!stdfs::is_directory(folder(i)))
        fail(ErrorCode::kNotFound, folder(i).string() + " is missing: run bench/delta/fetch_debs.sh first");
    ScratchDir scratch(temp_base(), "delta-bench-" + s.name);
    if (args.flag("keep")) scratch.keep();
    std::unique_ptr<SeriesRepo> repo;
    if (!tools_only) {
      repo = std::make_unique<SeriesRepo>(scratch.path(), "bench");
      repo->release(folder(0), release_version(0));
    }
    auto measure = [&](size_t from, size_t to, double release_s) {
      Row r{s.name, s.versions[from], s.versions[to]};
      std::fprintf(stderr, "delta_bench: %s %s -> %s\n", s.name.c_str(), r.from.c_str(), r.to.c_str());
      r.tools = tool_baseline(folder(from), folder(to), cache, true);
      r.release_s = release_s;
      if (repo) {
        r.zip = repo->package_length(release_version(to));
        for (int k = 0; k < runs; ++k) r.runs.push_back(repo->stage(release_version(from), release_version(to)));
      }
      rows.push_back(std::move(r));
    };
    for (size_t i = 1; i < s.versions.size(); ++i) {
      double release_s = repo ? repo->release(folder(i), release_version(i)) : 0;
      measure(i - 1, i, release_s);
      if (i == 2) measure(0, 2, release_s);  // the chain: oldest installed straight to the newest
    }
  }
  print_table(rows, tools_only);
  figures.detail(rows_json(rows));
  bool met = print_targets(rows, figures);
  std::fprintf(stderr, "delta_bench: %.0f s wall, load %.2f%s\n", (now_ms() - t0) / 1e3, load_average_1min(),
               tools_only ? "" : (met ? ", all targets met" : ", some targets NOT met"));
  figures.print();
  return 0;
}

}  // namespace
}  // namespace upkeep::bench

int main(int argc, char** argv) { return upkeep::bench::main_of("delta_bench", upkeep::bench::run, argc, argv); }
