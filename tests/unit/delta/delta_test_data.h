// Data and file helpers shared by the delta codec tests.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/base/hash.h"
#include "upkeep/delta/codec.h"

namespace upkeep::test::delta_data {

inline std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// An executable to diff, as a vendor's release would hold.
inline std::string executable_bytes() { return read_text("/bin/ls"); }

// A new build of `old`: bytes inserted near the start (shifting everything
// after), a few bytes changed, a block appended.
inline std::string edited(std::string old, uint32_t seed) {
  std::mt19937 rng(seed);
  for (int i = 0; i < 20; ++i) old[rng() % old.size()] = static_cast<char>(rng());
  old.insert(old.size() / 10, random_bytes(300, seed + 1));
  old.insert(old.size() / 2, "a new string in the middle of the file");
  old.append(random_bytes(1000, seed + 2));
  return old;
}

// Text shaped like a man page or changelog: lines from a small vocabulary,
// so deflate finds matches and ends blocks as on real documentation.
inline std::string document_text(size_t lines, uint32_t seed, const std::string& version = "3.0.20") {
  static const char* const words[] = {"the",  "openssl", "certificate", "option", "key",     "file",  "output",
                                      "must", "be",      "a",           "with",   "default", "value", "see"};
  std::mt19937 rng(seed);
  std::string s = ".TH OPENSSL 1SSL 2026-12-02 " + version + " OpenSSL\n";
  for (size_t i = 0; i < lines; ++i) {
    const size_t n = 3 + rng() % 12;
    for (size_t w = 0; w < n; ++w) s += std::string(words[rng() % 14]) + (w + 1 < n ? " " : "\n");
    if (i % 37 == 0) s += ".SH SECTION " + std::to_string(rng() % 1000) + "\n";
  }
  return s;
}

// A bit stream shaped like LLVM bitcode: the raw magic "BC" C0 DE, then
// `records` records of fields packed least significant bit first with no
// byte alignment (a 4-bit code, a 6-bit-chunk variable-length value, fields
// of 3 to 13 bits). `insert_at` (a record number) adds a 23-bit field there,
// which shifts every later field by 7 bits; `change_at` alters one value.
inline std::string bit_stream(size_t records, uint32_t seed, size_t insert_at = SIZE_MAX, size_t change_at = SIZE_MAX) {
  std::string out = "BC\xC0\xDE";
  uint64_t acc = 0;
  int bits = 0;
  auto put = [&](uint64_t v, int width) {
    acc |= (v & ((uint64_t{1} << width) - 1)) << bits;
    bits += width;
    while (bits >= 8) {
      out += static_cast<char>(acc & 0xff);
      acc >>= 8;
      bits -= 8;
    }
  };
  std::mt19937 rng(seed);
  for (size_t r = 0; r < records; ++r) {
    if (r == insert_at) put(0x5a5a5a, 23);
    put(rng() % 16, 4);
    uint64_t value = rng() % 100000;
    if (r == change_at) value ^= 0x155;
    do {  // VBR6: 5 bits of value and a continuation bit
      put((value & 31) | (value > 31 ? 32 : 0), 6);
      value >>= 5;
    } while (value);
    for (int f = 0; f < 3; ++f) put(rng(), 3 + static_cast<int>(rng() % 11));
  }
  if (bits) put(0, 8 - bits);
  return out;
}

// C source for a bitcode test: `functions` functions of loops, branches,
// calls and string constants. `edited` adds a statement to the third
// function and changes a constant in the last, as a bug-fix release would.
inline std::string c_program(int functions, bool edited) {
  std::string s = "#include <stdio.h>\n#include <string.h>\n";
  for (int f = 0; f < functions; ++f) {
    s += "int fn" + std::to_string(f) + "(int a, const char *text) {\n";
    s += "  int sum = " + std::to_string(f * 7 + 3) + ";\n";
    s += "  for (int i = 0; i < a; ++i) sum += (int)strlen(text) * i + " + std::to_string(f % 5) + ";\n";
    if (edited && f == 2) s += "  if (a > 1000) { puts(\"fn2: a is too large, clamping\"); a = 1000; }\n";
    s += "  if (sum % " + std::to_string(f + 2) + " == 0) printf(\"fn" + std::to_string(f) +
         ": %d %s\\n\", sum, text);\n";
    if (f > 0) s += "  sum ^= fn" + std::to_string(f - 1) + "(a - 1, \"called from fn" + std::to_string(f) + "\");\n";
    const int k = edited && f == functions - 1 ? 99 : 17;
    s += "  return sum * " + std::to_string(k) + ";\n}\n";
  }
  return s;
}

// `c_source` compiled by `compiler` (its arguments before the input and -o); returns the output file.
inline std::string compiled(const std::string& c_source, const TempDir& dir, std::vector<std::string> compiler) {
  const stdfs::path in = dir / "compiler-input.c", out = dir / "compiler-output";
  write_text(in, c_source);
  compiler.insert(compiler.end(), {in.string(), "-o", out.string()});
  RunResult r = run(compiler);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::string made = read_text(out);
  stdfs::remove(in);
  stdfs::remove(out);
  return made;
}
// compiled(), kept in the build folder's test-cache/ under the SHA-256 of the
// compiler line and the source: ctest runs each test case in a process of its
// own, and gcc takes about 15 s for a library of 1,500 functions. Written
// under a temporary name and renamed, so tests running side by side share it.
inline std::string compiled_once(const std::string& c_source, const TempDir& dir,
                                 const std::vector<std::string>& compiler) {
  std::string key;
  for (const std::string& a : compiler) key += a + '\n';
  const stdfs::path cached = stdfs::path(UPKEEP_BIN_DIR) / "test-cache" / ("cc-" + sha256_hex(key + c_source));
  if (stdfs::exists(cached)) return read_text(cached);
  std::string made = compiled(c_source, dir, compiler);
  stdfs::create_directories(cached.parent_path());
  const stdfs::path part = cached.string() + ".part-" + std::to_string(::getpid());
  write_text(part, made);
  stdfs::rename(part, cached);
  return made;
}
// LLVM bitcode by the real clang, as PostgreSQL's build makes its JIT bitcode (clang -O2 -emit-llvm).
inline std::string clang_bitcode(const std::string& c_source, const TempDir& dir) {
  return compiled_once(c_source, dir, {"/usr/bin/clang", "-O2", "-c", "-emit-llvm"});
}
// An x86-64 shared library built by the real gcc, with its symbol table as gcc leaves it.
inline std::string gcc_shared_library(const std::string& c_source, const TempDir& dir) {
  return compiled_once(c_source, dir, {"/usr/bin/gcc", "-O2", "-fPIC", "-shared"});
}

// A gettext catalog of `messages` messages made by the real msgfmt; with
// `added`, one more message sorts first (every later offset moves and the
// hash table changes size) and message 7 is translated anew.
inline std::string msgfmt_catalog(int messages, bool added, const TempDir& dir) {
  std::string po = "msgid \"\"\nmsgstr \"Content-Type: text/plain; charset=UTF-8\\n\"\n\n";
  if (added) po += "msgid \"AAA a message new in this version\"\nmsgstr \"AAA eine neue Meldung\"\n\n";
  for (int i = 0; i < messages; ++i) {
    po += "msgid \"could not open file %s for message " + std::to_string(i) + "\"\n";
    po += "msgstr \"" + std::string(added && i == 7 ? "neu: " : "") + "konnte Datei %s nicht oeffnen, Meldung " +
          std::to_string(i) + "\"\n\n";
  }
  const stdfs::path in = dir / "msgfmt-input.po", out = dir / "msgfmt-output.mo";
  write_text(in, po);
  RunResult r = run({"/usr/bin/msgfmt", "-o", out.string(), in.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::string mo = read_text(out);
  stdfs::remove(in);
  stdfs::remove(out);
  return mo;
}

// `content` compressed by GNU gzip itself (the real program) at `level`,
// without a name and time stamp (-n) unless `with_name`.
inline std::string gzip_bytes(const std::string& content, int level, const TempDir& dir, bool with_name = false) {
  const stdfs::path in = dir / "gzip-input.txt";
  write_text(in, content);
  std::vector<std::string> argv = {"/usr/bin/gzip", "-" + std::to_string(level), "-c", in.string()};
  if (!with_name) argv.insert(argv.begin() + 2, "-n");
  RunResult r = run(argv);
  REQUIRE(r.exit_code == 0);
  stdfs::remove(in);
  return r.out;
}

// Flips one byte of a file in place.
inline void flip_byte(const stdfs::path& p, size_t at) {
  std::string s = read_text(p);
  REQUIRE(at < s.size());
  s[at] = static_cast<char>(s[at] ^ 0x5a);
  stdfs::remove(p);
  write_text(p, s);
}

inline void truncate_to(const stdfs::path& p, size_t n) { stdfs::resize_file(p, n); }

// Makes the patch source -> target, applies it to `out` and checks the result.
// Returns the patch size.
inline uint64_t round_trip(delta::PatchAlgorithm a, const std::string& source, const std::string& target,
                           const TempDir& dir) {
  write_text(dir / "source", source);
  write_text(dir / "target", target);
  delta::make_patch(a, dir / "source", dir / "target", dir / "patch");
  std::string hash = delta::apply_patch(a, dir / "source", dir / "patch", dir / "out", target.size());
  CHECK(read_text(dir / "out") == target);
  CHECK(hash == sha256_hex(target));
  CHECK((stdfs::status(dir / "out").permissions() & stdfs::perms::all) ==
        (stdfs::perms::owner_read | stdfs::perms::owner_write));
  return stdfs::file_size(dir / "patch");
}

// Runs `apply`, which must fail with Error(kVerification) naming `input` and
// leave no `out`; returns the message.
template <class F>
std::string refused(F&& apply, const stdfs::path& input, const stdfs::path& out) {
  std::string msg = error_of(std::forward<F>(apply), ErrorCode::kVerification);
  CHECK(msg.find(input.string()) != std::string::npos);
  CHECK_FALSE(stdfs::exists(out));
  return msg;
}

// Only a patch test's inputs and outputs are in `dir`: no scratch file of
// the codec stayed behind.
inline void only_inputs_left(const TempDir& dir) {
  for (const auto& e : stdfs::directory_iterator(dir.path())) {
    const std::string name = e.path().filename().string();
    CHECK((name == "source" || name == "target" || name == "patch" || name == "out"));
  }
}

// Writes `patch` over dir/patch, applies it, which must be refused naming it
// with a message containing `expect`, and checks nothing stayed behind.
template <class F>
void check_refused(F&& apply, const TempDir& dir, const std::string& patch, const std::string& expect) {
  write_text(dir / "patch", patch);
  const std::string msg = refused(std::forward<F>(apply), dir / "patch", dir / "out");
  INFO(msg);
  CHECK(msg.find(expect) != std::string::npos);
  only_inputs_left(dir);
}

// An executable and its next build (dir/source, dir/target) with the patch
// between them in dir/patch.
struct ExecutablePair {
  delta::PatchAlgorithm algorithm;
  TempDir dir;
  std::string source = executable_bytes();
  std::string target;
  ExecutablePair(delta::PatchAlgorithm a, uint32_t seed) : algorithm(a), target(edited(source, seed)) {
    write_text(dir / "source", source);
    write_text(dir / "target", target);
    delta::make_patch(a, dir / "source", dir / "target", dir / "patch");
  }
  // Applying dir/patch must be refused.
  std::string rejected(uint64_t expected_size) {
    return refused([&] { delta::apply_patch(algorithm, dir / "source", dir / "patch", dir / "out", expected_size); },
                   dir / "patch", dir / "out");
  }
};

// A source and a target in a fresh folder, patched with one algorithm
// through codec.h: make() writes dir/patch, apply() rebuilds dir/out.
struct FilePair {
  TempDir dir;
  delta::PatchAlgorithm algorithm;
  std::string source, target;
  FilePair(delta::PatchAlgorithm a, const std::pair<std::string, std::string>& files)
      : algorithm(a), source(files.first), target(files.second) {
    write_text(dir / "source", source);
    write_text(dir / "target", target);
  }
  bool make() { return delta::make_patch(algorithm, dir / "source", dir / "target", dir / "patch"); }
  std::string apply() {
    return delta::apply_patch(algorithm, dir / "source", dir / "patch", dir / "out", target.size());
  }
  // The size of another algorithm's patch of the same pair.
  uint64_t other_patch(delta::PatchAlgorithm a) {
    const stdfs::path p = dir / (std::string("other.") + delta::algorithm_name(a));
    REQUIRE(delta::make_patch(a, dir / "source", dir / "target", p));
    const uint64_t n = stdfs::file_size(p);
    stdfs::remove(p);
    return n;
  }
};

}  // namespace upkeep::test::delta_data
