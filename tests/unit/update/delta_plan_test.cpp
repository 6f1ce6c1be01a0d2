// The delta planner: per content the cheapest route from what is held locally.
#include "upkeep/update/delta_plan.h"

#include <catch2/catch.hpp>

using namespace upkeep;
using namespace upkeep::delta;

namespace {
std::string hex(char c) { return std::string(64, c); }
}  // namespace

TEST_CASE("the planner takes local content, then the cheapest known patch, then the blob", "[delta]") {
  // c: held locally. d: patch from c (cheap) or from e (not held). f: patch costs more than its blob.
  // g: only an unknown algorithm from c. h: nothing but its blob.
  DeltaIndex index(
      "2.0.0",
      {
          {hex('c'), 100, {60, hex('1')}, {}},
          {hex('d'), 100, {70, hex('2')}, {{"zstd", hex('c'), {9, hex('3')}}, {"bsdiff", hex('e'), {2, hex('4')}}}},
          {hex('f'), 100, {30, hex('5')}, {{"zstd", hex('c'), {40, hex('6')}}}},
          {hex('g'), 100, {50, hex('7')}, {{"zz-future", hex('c'), {1, hex('8')}}}},
          {hex('h'), 100, {80, hex('9')}, {}},
      });
  LocalContent local;
  local.add(hex('c'), {"/old/c", 100, 0644});
  DeltaPlan plan = plan_delta(index, local);
  REQUIRE(plan.routes.size() == 5);
  CHECK(plan.routes[0].kind == ContentRoute::Kind::kHave);
  CHECK(plan.routes[0].local->path == "/old/c");
  CHECK(plan.routes[1].kind == ContentRoute::Kind::kPatch);
  CHECK(plan.routes[1].patch->algorithm == "zstd");
  CHECK(plan.routes[1].local->path == "/old/c");
  CHECK(plan.routes[2].kind == ContentRoute::Kind::kBlob);
  CHECK(plan.routes[3].kind == ContentRoute::Kind::kBlob);
  CHECK(plan.routes[4].kind == ContentRoute::Kind::kBlob);
  CHECK(plan.download_bytes == 0 + 9 + 30 + 50 + 80);
  CHECK(plan.have == 1);
  CHECK(plan.patches == 1);
  CHECK(plan.blobs == 3);
}

TEST_CASE("a local file of another size is not taken as the content", "[delta]") {
  DeltaIndex index("2.0.0", {{hex('c'), 100, {60, hex('1')}, {}}});
  LocalContent local;
  local.add(hex('c'), {"/old/c", 99, 0644});
  DeltaPlan plan = plan_delta(index, local);
  CHECK(plan.routes[0].kind == ContentRoute::Kind::kBlob);
  CHECK(plan.download_bytes == 60);
}
