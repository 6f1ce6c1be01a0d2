// The code-reference patterns of elf_reference.h on real gcc code and on
// noise: CodeReferenceCandidates, the elf patch's fast path, finds every
// place may_start_code_reference() accepts one by one, and beyond them only
// places with an 0F byte (its documented superset).
#include "upkeep/delta/elf_reference.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <iterator>

#include "delta_test_data.h"
#include "test_support.h"

using namespace upkeep::test;
using namespace upkeep::test::delta_data;
namespace delta = upkeep::delta;

namespace {

// Every place from `from` on, by the one-by-one test.
std::vector<uint64_t> one_by_one(const std::string& s, uint64_t from) {
  const auto* d = reinterpret_cast<const unsigned char*>(s.data());
  std::vector<uint64_t> out;
  for (uint64_t i = from; i < s.size(); ++i)
    if (delta::may_start_code_reference(d + i, s.size() - i)) out.push_back(i);
  return out;
}

// The same through CodeReferenceCandidates::next, asked for rising places.
std::vector<uint64_t> by_candidates(const std::string& s, uint64_t from) {
  delta::CodeReferenceCandidates c(reinterpret_cast<const unsigned char*>(s.data()), s.size());
  std::vector<uint64_t> out;
  for (uint64_t at = c.next(from); at != delta::CodeReferenceCandidates::kNone; at = c.next(at + 1)) out.push_back(at);
  return out;
}

}  // namespace

TEST_CASE("code reference candidates are the places the one-by-one test accepts", "[delta][elf]") {
  TempDir d;
  const std::string code = gcc_shared_library(c_program(200, false), d);
  for (const std::string& s : {code, random_bytes(10007, 3), std::string("\xE8\x01\x02\x03", 4),
                               std::string(70, '\x05'), std::string(130, '\xE8')}) {
    for (uint64_t from : {uint64_t{0}, uint64_t{1}, uint64_t{63}, uint64_t{64}, uint64_t{65}, s.size() / 2,
                          s.size() > 70 ? s.size() - 70 : 0, s.size() > 5 ? s.size() - 5 : 0}) {
      INFO("size " << s.size() << ", from " << from);
      const std::vector<uint64_t> expected = one_by_one(s, from);
      std::vector<uint64_t> found = by_candidates(s, from), extra;
      std::set_difference(found.begin(), found.end(), expected.begin(), expected.end(), std::back_inserter(extra));
      CHECK(found.size() - extra.size() == expected.size());  // every expected place is found
      for (uint64_t at : extra) CHECK(static_cast<unsigned char>(s[at]) == 0x0F);
    }
  }
  // Asked out of order (a map's runs may move back): the same answers.
  const std::string noise = random_bytes(5000, 9);
  delta::CodeReferenceCandidates c(reinterpret_cast<const unsigned char*>(noise.data()), noise.size());
  for (uint64_t from : {uint64_t{4000}, uint64_t{100}, uint64_t{4001}, uint64_t{0}}) {
    uint64_t expected = delta::CodeReferenceCandidates::kNone;
    for (uint64_t i = from; i < noise.size() && expected == delta::CodeReferenceCandidates::kNone; ++i)
      if (noise[i] == '\x0F' ||
          delta::may_start_code_reference(reinterpret_cast<const unsigned char*>(noise.data()) + i, noise.size() - i))
        expected = i;
    CHECK(c.next(from) == expected);
  }
  CHECK(c.next(noise.size()) == delta::CodeReferenceCandidates::kNone);
}
