#include "upkeep/repository/cache_rules.h"

#include <catch2/catch.hpp>

using namespace upkeep;

TEST_CASE("CacheRules: the kind of each file of the layout", "[cache_rules]") {
  CHECK(CacheRules::kind_of("metadata/timestamp.json") == CacheKind::kRevalidate);
  CHECK(CacheRules::kind_of("metadata/root.json") == CacheKind::kRevalidate);
  CHECK(CacheRules::kind_of("metadata/snapshot.json") == CacheKind::kRevalidate);  // not versioned: changes
  CHECK(CacheRules::kind_of("download/demo-latest-linux-x86_64") == CacheKind::kRevalidate);
  CHECK(CacheRules::kind_of("something/else") == CacheKind::kRevalidate);  // unknown: the safe side
  CHECK(CacheRules::kind_of("metadata/1.root.json") == CacheKind::kImmutable);
  CHECK(CacheRules::kind_of("/metadata/12.snapshot.json") == CacheKind::kImmutable);
  CHECK(CacheRules::kind_of("metadata/3.targets.json") == CacheKind::kImmutable);
  CHECK(CacheRules::kind_of("metadata/x.targets.json") == CacheKind::kRevalidate);
  CHECK(CacheRules::kind_of("metadata/1.root.json/x") == CacheKind::kRevalidate);
  CHECK(CacheRules::kind_of("targets/demo/1.0.0/linux-x86_64/ab12.package.zip") == CacheKind::kImmutable);
  CHECK(CacheRules::kind_of("targets/demo/blobs/ab12.zst") == CacheKind::kImmutable);
}

TEST_CASE("CacheRules: a shared cache's lifetime from Cache-Control", "[cache_rules]") {
  CHECK(CacheRules::shared_lifetime("no-cache") == 0);
  CHECK(CacheRules::shared_lifetime("public, max-age=600, no-store") == 0);
  CHECK(CacheRules::shared_lifetime("max-age=600") == 600);
  CHECK(CacheRules::shared_lifetime("Max-Age=\"600\"") == 600);
  CHECK(CacheRules::shared_lifetime("max-age=600, s-maxage=30") == 30);
  CHECK(CacheRules::shared_lifetime("public") == std::nullopt);
  CHECK(CacheRules::shared_lifetime("") == std::nullopt);
  CHECK(CacheRules::shared_lifetime("max-age=abc") == std::nullopt);
  CHECK(CacheRules::shared_lifetime("max-age=99999999999999999999") == std::nullopt);
}

TEST_CASE("CacheRules: what changes in place must be revalidated within a minute", "[cache_rules]") {
  const CacheKind k = CacheKind::kRevalidate;
  CHECK_FALSE(CacheRules::problem(k, "no-cache", ""));
  CHECK_FALSE(CacheRules::problem(k, "no-store", ""));
  CHECK_FALSE(CacheRules::problem(k, "max-age=60", ""));
  CHECK_FALSE(CacheRules::problem(k, "max-age=86400, s-maxage=0", ""));  // shared caches revalidate
  auto day = CacheRules::problem(k, "public, max-age=86400", "");
  REQUIRE(day);
  CHECK(day->find("86400 s") != std::string::npos);
  auto none = CacheRules::problem(k, "", "Thu, 01 Jan 2099 00:00:00 GMT");
  REQUIRE(none);
  CHECK(none->find("heuristic freshness") != std::string::npos);
  CHECK(none->find("only Expires") != std::string::npos);
  CHECK(CacheRules::problem(k, "public", ""));
}

TEST_CASE("CacheRules: what never changes may be cached, and a short lifetime is only a missed saving", "[cache_rules]") {
  const CacheKind k = CacheKind::kImmutable;
  CHECK_FALSE(CacheRules::problem(k, CacheRules::recommended(k), ""));
  CHECK_FALSE(CacheRules::problem(k, "max-age=86400", ""));
  CHECK(CacheRules::problem(k, "no-cache", ""));
  CHECK(CacheRules::problem(k, "", ""));
  CHECK(std::string(CacheRules::recommended(CacheKind::kRevalidate)) == "no-cache");
}
