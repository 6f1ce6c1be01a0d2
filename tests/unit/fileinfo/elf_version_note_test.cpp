// ElfVersionNote on programs built by gcc and as at test time, on ELF files
// of both classes and byte orders, and on hostile ones.
#include "upkeep/fileinfo/elf_version_note.h"

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "program_fixtures.h"
#include "test_support.h"

namespace upkeep::test {
namespace {

using fileinfo::ElfVersionNote;

// A minimal relocatable ELF file (null section, .shstrtab, one named section holding `content`) of either
// class and byte order, written field by field: no big-endian tool chain is installed to make one.
class ElfWriter {
 public:
  ElfWriter(bool is64, bool big) : is64_(is64), big_(big) {}

  // A note as the section's content: owner, type, descriptor (each padded to 4).
  std::string note(const std::string& owner, uint32_t type, const std::string& desc) const {
    std::string n;
    put(n, 4, owner.size() + 1);
    put(n, 4, desc.size());
    put(n, 4, type);
    n += owner + '\0';
    n.resize((n.size() + 3) / 4 * 4, '\0');
    n += desc;
    n.resize((n.size() + 3) / 4 * 4, '\0');
    return n;
  }

  std::string file(const std::string& section_name, const std::string& content) const {
    const std::string names = std::string("\0.shstrtab\0", 11) + section_name + '\0';
    const uint64_t header = is64_ ? 64 : 52, names_at = header, content_at = names_at + names.size();
    const uint64_t table_at = (content_at + content.size() + 7) / 8 * 8;
    std::string f =
        "\x7f"
        "ELF";
    f += static_cast<char>(is64_ ? 2 : 1);
    f += static_cast<char>(big_ ? 2 : 1);
    f += '\x01';
    f.resize(16, '\0');
    put(f, 2, 1);  // e_type: relocatable
    put(f, 2, 0);  // e_machine
    put(f, 4, 1);  // e_version
    put(f, word(), 0);
    put(f, word(), 0);
    put(f, word(), table_at);  // e_shoff
    put(f, 4, 0);
    put(f, 2, header);
    put(f, 2, 0);
    put(f, 2, 0);
    put(f, 2, is64_ ? 64 : 40);  // e_shentsize
    put(f, 2, 3);                // e_shnum
    put(f, 2, 1);                // e_shstrndx
    f += names + content;
    f.resize(table_at, '\0');
    section(f, 0, 0, 0, 0, 0);
    section(f, 1, 3, names_at, names.size(), 1);
    section(f, 11, 7, content_at, content.size(), 4);
    return f;
  }

 private:
  unsigned word() const { return is64_ ? 8 : 4; }
  void put(std::string& out, unsigned width, uint64_t v) const {
    for (unsigned i = 0; i < width; ++i) {
      const unsigned shift = 8 * (big_ ? width - 1 - i : i);
      out += static_cast<char>((v >> shift) & 0xff);
    }
  }
  void section(std::string& f, uint32_t name, uint32_t type, uint64_t offset, uint64_t size, uint64_t align) const {
    put(f, 4, name);
    put(f, 4, type);
    put(f, word(), 0);  // flags
    put(f, word(), 0);  // addr
    put(f, word(), offset);
    put(f, word(), size);
    put(f, 4, 0);  // link
    put(f, 4, 0);  // info
    put(f, word(), align);
    put(f, word(), 0);  // entsize
  }
  bool is64_, big_;
};

TEST_CASE("ElfVersionNote reads the note gcc linked into a program, also after strip", "[fileinfo][elf]") {
  TempDir dir;
  const stdfs::path app = gcc_program(dir.path(), "app", "1.4.2");
  CHECK(ElfVersionNote::read(app) == "1.4.2");
  run_tool({"/usr/bin/strip", app.string()});
  CHECK(ElfVersionNote::read(app) == "1.4.2");
  CHECK(ElfVersionNote::read(gcc_program(dir.path(), "plain", "")) == std::nullopt);
}

TEST_CASE("ElfVersionNote reads ELF32 (as --32) and both byte orders of both classes", "[fileinfo][elf]") {
  TempDir dir;
  CHECK(ElfVersionNote::read(elf32_note_object(dir.path(), "7.0.1")) == "7.0.1");
  for (bool is64 : {false, true})
    for (bool big : {false, true}) {
      INFO("64-bit " << is64 << ", big-endian " << big);
      const ElfWriter w(is64, big);
      const std::string f =
          w.file(".note.upkeep.version", w.note("GNU", 3, "abcd") + w.note("upkeep", 1, "2.5.0-rc.1"));
      CHECK(ElfVersionNote::parse(f, "x.elf") == "2.5.0-rc.1");
      CHECK(ElfVersionNote::parse(w.file(".note.other", w.note("upkeep", 1, "1.0")), "x.elf") == std::nullopt);
    }
}

TEST_CASE("ElfVersionNote refuses hostile ELF files with a clear error", "[fileinfo][elf]") {
  const ElfWriter w(true, false);
  const std::string good = w.file(".note.upkeep.version", w.note("upkeep", 1, "1.2.3"));
  auto refused = [](const std::string& f) {
    return error_of([&] { ElfVersionNote::parse(f, "x.elf"); }, ErrorCode::kBadInput);
  };
  SECTION("truncated") {
    for (size_t cut : {size_t{3}, size_t{20}, size_t{60}, good.size() - 10}) {
      INFO("cut at " << cut);
      CHECK_THAT(refused(good.substr(0, cut)),
                 Catch::Contains("x.elf: ") && (Catch::Contains("past the end") || Catch::Contains("not an ELF")));
    }
  }
  SECTION("no upkeep note in the section") {
    CHECK_THAT(refused(w.file(".note.upkeep.version", w.note("GNU", 1, "1.2.3"))),
               Catch::Contains("holds no note of owner 'upkeep' and type 1"));
  }
  SECTION("a descriptor past the section's end") {
    std::string note = w.note("upkeep", 1, "1.2.3");
    note[4] = '\x40';
    CHECK_THAT(refused(w.file(".note.upkeep.version", note)),
               Catch::Contains("note descriptor") && Catch::Contains("past the end of the .note.upkeep.version"));
  }
  SECTION("a descriptor too long for a version") {
    CHECK_THAT(refused(w.file(".note.upkeep.version", w.note("upkeep", 1, std::string(300, '1')))),
               Catch::Contains("300 bytes") && Catch::Contains("at most 256"));
  }
  SECTION("huge or wrong section counts") {
    std::string f = good;
    f[60] = 0;  // e_shnum 0: the count is section 0's size
    f[61] = 0;
    const size_t zero_size = f.size() - 3 * 64 + 32;
    f[zero_size + 3] = '\x40';  // 1 GiB sections
    CHECK_THAT(refused(f), Catch::Contains("claims 1073741824 sections") && Catch::Contains("expected at most"));
    std::string g = good;
    g[62] = 9;  // e_shstrndx
    CHECK_THAT(refused(g), Catch::Contains("section name table index 9") && Catch::Contains("expected below 3"));
    std::string h = good;
    h[5] = 7;
    CHECK_THAT(refused(h), Catch::Contains("ELF data encoding 7"));
  }
}

}  // namespace
}  // namespace upkeep::test
