// DownloadRate on a FixedClock: no rate before enough time passed, the rate
// over the recent window only, the ETA, and a new download starting afresh.
#include "upkeep/update/download_rate.h"

#include <catch2/catch.hpp>

using namespace upkeep;
using namespace std::chrono_literals;

TEST_CASE("download rate: smoothed over the recent window, with the time left", "[update][progress]") {
  auto clock = std::make_shared<FixedClock>(FixedClock::at_unix(1700000000));
  DownloadRate rate(clock);
  rate.add(0);
  CHECK(rate.bytes_per_second() == 0);
  CHECK_FALSE(rate.eta(0, 1000));
  clock->advance(100ms);
  rate.add(100);
  CHECK(rate.bytes_per_second() == 0);  // too short a span to say
  for (int i = 0; i < 10; ++i) {
    clock->advance(1s);
    rate.add(100 + 1000 * (i + 1));
  }
  // The first slow seconds left the window: about 1000 bytes a second.
  CHECK(rate.bytes_per_second() == Approx(1000).epsilon(0.05));
  CHECK(rate.eta(10100, 20100) == std::chrono::seconds(10));
  CHECK_FALSE(rate.eta(10100, 0));  // no total, no ETA
  rate.add(5);                      // fewer bytes: a new download
  CHECK(rate.bytes_per_second() == 0);
}
