// ProgressMeter and ProgressDisplay on a FixedClock: human units, rate and
// time left, at most one line per kRedrawInterval (the first and the last
// always), and what each display mode writes (a temporary file stands in
// for stderr; the terminal itself: tests/integration/progress_test.cpp).
#include "upkeep/update/progress_meter.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>

#include "upkeep/update/progress_display.h"

using namespace upkeep;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<FixedClock> clock_at_start() { return std::make_shared<FixedClock>(FixedClock::at_unix(1700000000)); }

size_t count(const std::string& s, char c) { return static_cast<size_t>(std::count(s.begin(), s.end(), c)); }

// What a display wrote to its stream.
struct Captured {
  std::FILE* file = std::tmpfile();
  ~Captured() { std::fclose(file); }
  std::string text() const {
    std::fflush(file);
    std::rewind(file);
    std::string s;
    for (int c; (c = std::fgetc(file)) != EOF;) s.push_back(static_cast<char>(c));
    return s;
  }
};

}  // namespace

TEST_CASE("progress: sizes in B, kB, MB and GB, durations in s, min and h", "[update][progress]") {
  CHECK(format_size(0) == "0 B");
  CHECK(format_size(999) == "999 B");
  CHECK(format_size(1000) == "1.0 kB");
  CHECK(format_size(48200) == "48.2 kB");  // not "0.0 MB": the small download
  CHECK(format_size(512000) == "512 kB");
  CHECK(format_size(99940) == "99.9 kB");
  CHECK(format_size(99960) == "100 kB");  // never "100.0 kB"
  CHECK(format_size(999499) == "999 kB");
  CHECK(format_size(999500) == "1.0 MB");  // never "1000 kB"
  CHECK(format_size(3400000) == "3.4 MB");
  CHECK(format_size(1200000000) == "1.2 GB");
  CHECK(format_size(2500000000000) == "2500 GB");
  CHECK(format_duration(0s) == "0 s");
  CHECK(format_duration(59s) == "59 s");
  CHECK(format_duration(125s) == "2 min 05 s");
  CHECK(format_duration(3780s) == "1 h 03 min");
}

TEST_CASE("progress: a line says percent, bar, sizes, rate and time left", "[update][progress]") {
  auto clock = clock_at_start();
  ProgressMeter meter("downloading 2.0.0", clock);
  auto first = meter.update(0, 48200);
  REQUIRE(first);
  CHECK(*first == "downloading 2.0.0   0% [                    ] 0 B of 48.2 kB");  // no rate yet: none shown
  clock->advance(1s);
  auto half = meter.update(24100, 48200);
  REQUIRE(half);
  CHECK(*half == "downloading 2.0.0  50% [##########          ] 24.1 kB of 48.2 kB, 24.1 kB/s, 1 s left");
  clock->advance(1s);
  auto done = meter.update(48200, 48200);
  REQUIRE(done);
  CHECK(*done ==
        "downloading 2.0.0 100% [####################] 48.2 kB of 48.2 kB, 24.1 kB/s");  // no time left at the end
  CHECK(meter.summary() == "downloading 2.0.0: 48.2 kB in 2.0 s (24.1 kB/s)");
}

TEST_CASE("progress: an unknown total shows what is done, files show as counts", "[update][progress]") {
  auto clock = clock_at_start();
  ProgressMeter meter("mirror", clock);
  CHECK(*meter.update(1500, 0, "3/40 files") == "mirror: 1.5 kB, 3/40 files");
  ProgressMeter delta("delta", clock, ProgressMeter::Unit::kFiles);
  CHECK(*delta.update(3, 12) == "delta  25% [#####               ] 3 of 12 files");
}

TEST_CASE("progress: at most one line per redraw interval, the first and the last always", "[update][progress]") {
  auto clock = clock_at_start();
  ProgressMeter meter("downloading", clock);
  // A 1 s download reported every 64 kB (about 450 reports): about ten lines.
  const uint64_t total = 450 * 65536;
  int drawn = 0;
  for (uint64_t done = 0; done < total; done += 65536) {
    if (meter.update(done, total)) ++drawn;
    clock->advance(2222us);
  }
  CHECK(meter.update(total, total));  // the last one, though only 2 ms after the one before
  ++drawn;
  CHECK(drawn >= 10);
  CHECK(drawn <= 12);
  CHECK_FALSE(meter.update(total, total));  // drawn once
  // A retry (fewer bytes than before) starts over: drawn at once.
  CHECK(meter.update(1000, total));
}

TEST_CASE("progress display: a bar redraws one line, lines mode says one line per stage, off says nothing",
          "[update][progress]") {
  auto clock = clock_at_start();
  auto run_stage = [&](ProgressDisplay& d) {
    d.start("downloading 2.0.0");
    for (uint64_t done = 0; done <= 100000; done += 1000) {  // 101 reports, 1 ms apart
      d.update(done, 100000);
      clock->advance(1ms);
    }
    d.finish();
  };
  SECTION("bar") {
    Captured out;
    {
      ProgressDisplay d(ProgressDisplay::Mode::kBar, "", ProgressMeter::Unit::kBytes, out.file, clock);
      run_stage(d);
    }
    const std::string text = out.text();
    CHECK(count(text, '\r') == 2);  // the first report and the last, 100 ms apart
    CHECK(count(text, '\n') == 1);  // ended once, by finish(), not again by the destructor
    CHECK(text.find("100% [####################] 100 kB of 100 kB") != std::string::npos);
  }
  SECTION("lines") {
    Captured out;
    ProgressDisplay d(ProgressDisplay::Mode::kLines, "", ProgressMeter::Unit::kBytes, out.file, clock);
    run_stage(d);
    CHECK(out.text() == "downloading 2.0.0: 100 kB in 0.1 s (990 kB/s)\n");
  }
  SECTION("off") {
    Captured out;
    ProgressDisplay d(ProgressDisplay::Mode::kOff, "", ProgressMeter::Unit::kBytes, out.file, clock);
    run_stage(d);
    CHECK(out.text().empty());
  }
  SECTION("a failure ends the bar's line") {
    Captured out;
    {
      ProgressDisplay d(ProgressDisplay::Mode::kBar, "downloading", ProgressMeter::Unit::kBytes, out.file, clock);
      d.update(10, 100);
    }
    CHECK(out.text() == "\rdownloading  10% [##                  ] 10 B of 100 B\n");
  }
}
