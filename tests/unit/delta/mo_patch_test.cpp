// Catalog patches through codec.h, on two catalogs made by the real msgfmt
// (the benchmark runs them on postgresql-15's translations).
#include "upkeep/delta/mo_patch.h"

#include <catch2/catch.hpp>

#include "delta_test_data.h"
#include "expect_error.h"
#include "test_support.h"
#include "upkeep/delta/codec.h"

using namespace upkeep::test;
using namespace upkeep::test::delta_data;
using upkeep::ErrorCode;
namespace delta = upkeep::delta;
using delta::PatchAlgorithm;

namespace {

struct CatalogPair : FilePair {
  CatalogPair() : FilePair(PatchAlgorithm::kMo, files()) {}
  static const std::pair<std::string, std::string>& files() {
    static const std::pair<std::string, std::string> built = [] {
      TempDir d;
      return std::pair{msgfmt_catalog(2000, false, d), msgfmt_catalog(2000, true, d)};
    }();
    return built;
  }
};

}  // namespace

TEST_CASE("a catalog patch rebuilds msgfmt's catalog exactly, far smaller than byte-level patches", "[delta][mo]") {
  CatalogPair p;
  REQUIRE(p.make());
  CHECK(p.apply() == upkeep::sha256_hex(p.target));
  CHECK(read_text(p.dir / "out") == p.target);
  const uint64_t mo = stdfs::file_size(p.dir / "patch");
  const uint64_t zstd = p.other_patch(PatchAlgorithm::kZstd), bsdiff = p.other_patch(PatchAlgorithm::kBsdiff);
  INFO("mo " << mo << ", zstd " << zstd << ", bsdiff " << bsdiff);
  // One added message renumbers both tables and the hash table throughout.
  CHECK(mo * 4 < std::min(zstd, bsdiff));
  CHECK(delta::is_mo_file(p.dir / "target"));
}

TEST_CASE("make_mo_patch declines files that are not catalogs, and writes nothing", "[delta][mo]") {
  CatalogPair p;
  write_text(p.dir / "target", executable_bytes());
  CHECK_FALSE(p.make());
  CHECK_FALSE(stdfs::exists(p.dir / "patch"));
  CHECK_FALSE(delta::is_mo_file(p.dir / "target"));
}

TEST_CASE("a damaged or misdirected catalog patch is refused naming it, and leaves nothing", "[delta][mo]") {
  CatalogPair p;
  REQUIRE(p.make());
  std::string patch = read_text(p.dir / "patch");
  std::string expect;
  SECTION("wrong magic") {
    patch[4] = 'X';
    expect = "UPKMOC01";
  }
  SECTION("a decoded target no file of this size has") {
    patch[24] = 1;
    expect = "decodes to";
  }
  SECTION("corrupt inner patch") {
    patch[patch.size() - 3] ^= 0x55;
    expect = "";
  }
  SECTION("applied to another catalog") {
    TempDir d;
    write_text(p.dir / "source", msgfmt_catalog(5, false, d));
    expect = "not the message catalog it was made from";
  }
  check_refused([&] { p.apply(); }, p.dir, patch, expect);
}

TEST_CASE("mo is a patch algorithm name", "[delta][mo]") {
  CHECK(std::string(delta::algorithm_name(PatchAlgorithm::kMo)) == "mo");
  CHECK(delta::parse_algorithm("mo") == PatchAlgorithm::kMo);
}
