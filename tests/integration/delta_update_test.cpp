// Delta updates with the real programs (issue #5): releases published with
// a delta bundle (delta.zst) by `upkeep release`, an install made from the
// package, and `launcher --upkeep-check-now`, whose updater fetches only what
// it lacks. The figures come from the updater's log line "rebuilt V from H
// local, P patched and B whole files: N bytes over the network (M planned,
// package L)" and from the repository server's count of the bytes it sent
// per target (the server runs in this process: RepoServer, the class behind
// `upkeep serve`).
#include <sys/stat.h>

#include <fstream>
#include <random>
#include <regex>

#include "invariants.h"
#include "release_fixture.h"
#include "unit/delta/delta_test_data.h"
#include "upkeep/base/hash.h"
#include "upkeep/net/repo_server.h"
#include "upkeep/platform/fault_injection.h"

using namespace upkeep::test;

namespace {

struct Rebuilt {
  int have = -1, patched = -1, whole = -1;
  uint64_t bytes = 0, planned = 0, package = 0;
  bool fallback = false;
};

// The last "rebuilt <version> ..." line of the updater's log.
std::optional<Rebuilt> rebuilt_line(const Installed& app, const std::string& version) {
  std::string log = read_text(app.prefix() / "logs" / "updater.log");
  std::regex re("rebuilt " + std::regex_replace(version, std::regex("\\."), "\\.") +
                " from (\\d+) local, (\\d+) patched and (\\d+) whole files: (\\d+) bytes over the network \\((\\d+) "
                "planned, package (\\d+)\\)([^\\n]*)");
  std::optional<Rebuilt> last;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    last = Rebuilt{std::stoi(m[1]),
                   std::stoi(m[2]),
                   std::stoi(m[3]),
                   std::stoull(m[4]),
                   std::stoull(m[5]),
                   std::stoull(m[6]),
                   m[7].str().find("replaced by whole files") != std::string::npos};
  }
  return last;
}

// 2 MiB of fixed pseudo-random bytes, edited per version: a few bytes
// changed and a short insertion that shifts everything after it.
std::string data_of(int edits) {
  std::string s(2 << 20, '\0');
  std::mt19937 rng(42);
  for (auto& c : s) c = static_cast<char>(rng());
  for (int k = 1; k <= edits; ++k) {
    s[static_cast<size_t>(k) * 100000] ^= 0x33;
    s.insert(static_cast<size_t>(k) * 400000, "inserted in release " + std::to_string(k));
  }
  return s;
}

struct DeltaWorld {
  DeltaWorld() { vendor.deltas = true; }
  // The real mainapp (identical in every release), VERSION, readme and a data file edited per release.
  stdfs::path folder(const std::string& version, int edits) {
    stdfs::path d = vendor.build_folder(version);
    write_text(d / "share" / "data.bin", data_of(edits));
    return d;
  }
  void release(const std::string& version, int edits) { vendor.release(folder(version, edits), version); }
  // Serves the repository (once) and installs `version` from its package;
  // the server's byte counts then start from zero.
  std::unique_ptr<Installed> install(const std::string& version) {
    if (!server) {
      server = std::make_unique<upkeep::net::RepoServer>(vendor.repo());
      server->start();
    }
    auto app = std::make_unique<Installed>("http://127.0.0.1:" + std::to_string(server->port()) + "/",
                                           vendor.root_json(), version);
    server->reset_byte_counts();
    return app;
  }
  // The file of `version`'s release whose name ends in `suffix` (".delta.zst", ".files.json", ...).
  stdfs::path stored(const std::string& version, const std::string& suffix) const {
    for (const auto& e : stdfs::directory_iterator(vendor.repo() / "targets" / "demo" / version / "linux-x86_64"))
      if (e.path().filename().string().ends_with(suffix)) return e.path();
    throw std::runtime_error("no " + suffix + " in release " + version);
  }
  std::vector<stdfs::path> repo_files(const std::string& sub) const {
    std::vector<stdfs::path> out;
    for (const auto& e : stdfs::directory_iterator(vendor.repo() / "targets" / "demo" / sub)) out.push_back(e.path());
    return out;
  }
  VendorRepo vendor;
  std::unique_ptr<upkeep::net::RepoServer> server;
};

RunResult update(const Installed& app, const std::map<std::string, std::string>& env = {}) {
  return run({app.launcher().string(), "--upkeep-check-now", "--version"}, env);
}

ino_t inode_of(const stdfs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_ino;
}

void flip_byte(const stdfs::path& file) {
  std::string bytes = read_text(file);
  bytes[bytes.size() / 2] ^= 0x5a;
  write_text(file, bytes);
}

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += "  " + l + "\n";
  return s;
}

// Runs the update, checks `version` then started, and returns its "rebuilt" log line.
Rebuilt updated_to(const Installed& app, const std::string& version) {
  RunResult r = update(app);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "mainapp " + version + "\n"));
  auto line = rebuilt_line(app, version);
  REQUIRE(line);
  return *line;
}

void check_clean(const Installed& app, const std::string& version) {
  auto problems = check_invariants(app.prefix(), {{version}, true, true});
  INFO("invariants violated:\n" << joined(problems));
  CHECK(problems.empty());
}

}  // namespace

TEST_CASE("a delta update fetches a patch and the changed small files, and links the unchanged ones",
          "[delta][integration]") {
  DeltaWorld w;
  w.release("1.0.0", 0);
  w.release("2.0.0", 1);
  auto installed = w.install("1.0.0");
  const Installed& app = *installed;

  RunResult r = update(app);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "mainapp 2.0.0\n"));
  auto line = rebuilt_line(app, "2.0.0");
  REQUIRE(line);
  CHECK(line->have == 1);     // mainapp
  CHECK(line->patched == 2);  // share/data.bin and share/readme.txt
  CHECK(line->whole == 1);    // VERSION: too small for a patch to pay
  CHECK(line->bytes == line->planned);
  CHECK(line->bytes * 10 < line->package);  // a patch release costs under 10% of the package
  CHECK_FALSE(line->fallback);
  std::string log = read_text(app.prefix() / "logs" / "updater.log");
  CHECK_FALSE(contains(log, "downloaded 2.0.0.package.zip"));
  // Of the targets, only the delta bundle (which holds files.json) and the pieces the log line counts came.
  const uint64_t bundle = stdfs::file_size(w.stored("2.0.0", ".delta.zst"));
  CHECK(w.server->body_bytes_sent(".files.json") == 0);
  CHECK(w.server->body_bytes_sent(".delta.zst") == bundle);
  CHECK(w.server->body_bytes_sent("/targets/") == bundle + line->bytes);
  CHECK((bundle + line->bytes) * 10 < line->package);  // metadata included, still under 10% of the package

  // The unchanged program is a hard link to the old version's file.
  CHECK(inode_of(app.prefix() / "versions" / "2.0.0" / "mainapp") ==
        inode_of(app.prefix() / "versions" / "1.0.0" / "mainapp"));
  check_clean(app, "2.0.0");
}

TEST_CASE(
    "a changed .gz manual, bitcode and catalog come as gzip, bit-shift, bitcode and catalog patches, rebuilt exactly",
    "[delta][integration]") {
  namespace data = upkeep::test::delta_data;
  DeltaWorld w;
  TempDir tmp;
  // Compressed by the real gzip, as a build system would. One new sentence near
  // the start: the deflate stream differs from there on.
  const std::string old_text = data::document_text(6000, 8, "1.0.0");
  const std::string new_text = data::document_text(6000, 8, "2.0.0").insert(2000, "A sentence new in 2.0.0.\n");
  const std::string old_gz = data::gzip_bytes(old_text, 9, tmp), new_gz = data::gzip_bytes(new_text, 9, tmp);
  // LLVM-bitcode-like: one field added a quarter in, every later one 7 bits on.
  const std::string old_bc = data::bit_stream(20000, 4), new_bc = data::bit_stream(20000, 4, 5000);
  // Real bitcode from clang, as PostgreSQL ships for its JIT.
  const std::string old_ir = data::clang_bitcode(data::c_program(120, false), tmp);
  const std::string new_ir = data::clang_bitcode(data::c_program(120, true), tmp);
  // A translation catalog from the real msgfmt, one message added.
  const std::string old_mo = data::msgfmt_catalog(1500, false, tmp), new_mo = data::msgfmt_catalog(1500, true, tmp);
  for (const auto& [version, edits, gz, bc, ir, mo] : {std::tuple{"1.0.0", 0, old_gz, old_bc, old_ir, old_mo},
                                                       std::tuple{"2.0.0", 1, new_gz, new_bc, new_ir, new_mo}}) {
    stdfs::path d = w.folder(version, edits);
    write_text(d / "share" / "man" / "demo.1.gz", gz);
    write_text(d / "lib" / "bitcode" / "demo.bc", bc);
    write_text(d / "lib" / "bitcode" / "prog.bc", ir);
    write_text(d / "share" / "locale" / "de" / "LC_MESSAGES" / "demo.mo", mo);
    w.vendor.release(d, version);
  }
  const stdfs::path patches = w.vendor.repo() / "targets" / "demo" / "patches";
  const stdfs::path gzip_patch = patches / (upkeep::sha256_hex(old_gz) + "-" + upkeep::sha256_hex(new_gz) + ".gzip");
  REQUIRE(stdfs::exists(gzip_patch));
  CHECK(stdfs::file_size(gzip_patch) * 10 < new_gz.size());
  const stdfs::path bits_patch = patches / (upkeep::sha256_hex(old_bc) + "-" + upkeep::sha256_hex(new_bc) + ".bits");
  REQUIRE(stdfs::exists(bits_patch));
  CHECK(stdfs::file_size(bits_patch) * 50 < new_bc.size());
  const stdfs::path bitcode_patch =
      patches / (upkeep::sha256_hex(old_ir) + "-" + upkeep::sha256_hex(new_ir) + ".bitcode");
  REQUIRE(stdfs::exists(bitcode_patch));
  const stdfs::path mo_patch = patches / (upkeep::sha256_hex(old_mo) + "-" + upkeep::sha256_hex(new_mo) + ".mo");
  REQUIRE(stdfs::exists(mo_patch));
  CHECK(stdfs::file_size(mo_patch) * 20 < new_mo.size());

  auto installed = w.install("1.0.0");
  const Installed& app = *installed;
  const Rebuilt line = updated_to(app, "2.0.0");
  CHECK(line.patched == 6);  // data.bin, readme.txt, the manual, both bitcode files and the catalog
  CHECK_FALSE(line.fallback);
  CHECK(read_text(app.prefix() / "versions" / "2.0.0" / "share" / "man" / "demo.1.gz") == new_gz);
  CHECK(read_text(app.prefix() / "versions" / "2.0.0" / "lib" / "bitcode" / "demo.bc") == new_bc);
  CHECK(read_text(app.prefix() / "versions" / "2.0.0" / "lib" / "bitcode" / "prog.bc") == new_ir);
  CHECK(read_text(app.prefix() / "versions" / "2.0.0" / "share" / "locale" / "de" / "LC_MESSAGES" / "demo.mo") ==
        new_mo);
  check_clean(app, "2.0.0");
}

TEST_CASE("a delta update works from any installed version, not only the previous one", "[delta][integration]") {
  DeltaWorld w;
  w.release("1.0.0", 0);
  w.release("2.0.0", 1);
  w.release("3.0.0", 2);
  auto installed = w.install("1.0.0");
  const Installed& app = *installed;
  const Rebuilt line = updated_to(app, "3.0.0");
  CHECK(line.patched == 2);  // data.bin and readme.txt from 1.0.0's contents, two releases back
  CHECK(line.bytes * 10 < line.package);
  check_clean(app, "3.0.0");
}

TEST_CASE("a patch the server corrupted is replaced by the whole file and the update still lands",
          "[delta][integration]") {
  DeltaWorld w;
  w.release("1.0.0", 0);
  w.release("2.0.0", 1);
  auto patches = w.repo_files("patches");
  REQUIRE(patches.size() == 2);
  for (const auto& p : patches) flip_byte(p);
  auto installed = w.install("1.0.0");
  const Installed& app = *installed;
  RunResult r = update(app);
  INFO(r.out << r.err);
  CHECK(contains(r.out, "mainapp 2.0.0\n"));
  auto line = rebuilt_line(app, "2.0.0");
  REQUIRE(line);
  CHECK(line->fallback);
  CHECK(line->patched == 0);
  CHECK(line->whole == 3);
  CHECK(contains(read_text(app.prefix() / "logs" / "updater.log"), "fetching the whole file"));
  check_clean(app, "2.0.0");
}

TEST_CASE("a delta bundle the server corrupted is refused and the package and files.json are used",
          "[delta][integration]") {
  DeltaWorld w;
  w.release("1.0.0", 0);
  w.release("2.0.0", 1);
  const stdfs::path bundle = w.stored("2.0.0", ".delta.zst");
  flip_byte(bundle);
  auto installed = w.install("1.0.0");
  const Installed& app = *installed;
  RunResult r = update(app);
  INFO(r.out << r.err);
  CHECK(contains(r.out, "mainapp 2.0.0\n"));
  std::string log = read_text(app.prefix() / "logs" / "updater.log");
  CHECK(contains(log, "demo/2.0.0/linux-x86_64/delta.zst has SHA-256 " + upkeep::hash_file_hex(bundle)));
  CHECK(contains(log, "using the package and demo/2.0.0/linux-x86_64/files.json instead"));
  CHECK(contains(log, "downloaded 2.0.0.package.zip"));
  CHECK_FALSE(rebuilt_line(app, "2.0.0"));
  CHECK(w.server->body_bytes_sent(".files.json") == stdfs::file_size(w.stored("2.0.0", ".files.json")));
  CHECK(w.server->body_bytes_sent(".package.zip") == stdfs::file_size(w.vendor.package_file("2.0.0")));
  CHECK(w.server->body_bytes_sent("/blobs/") + w.server->body_bytes_sent("/patches/") == 0);
  check_clean(app, "2.0.0");
}

// Blobs are not TUF targets: the signed delta.zst lists each one's length and SHA-256
// (delta-updates.md says why that is equivalent), and a blob that fails them is refused.
TEST_CASE("a blob the server corrupted or replaced is a verification error and nothing is staged",
          "[delta][integration]") {
  DeltaWorld w;
  w.release("1.0.0", 0);
  w.release("2.0.0", 1);
  for (const auto& p : w.repo_files("patches")) flip_byte(p);  // forces the blob of data.bin
  const stdfs::path blobs = w.vendor.repo() / "targets" / "demo" / "blobs";
  const std::string new_data_sha = upkeep::sha256_hex(data_of(1));  // blobs are named by content
  const stdfs::path blob = blobs / (new_data_sha + ".zst");
  SECTION("one byte changed") { flip_byte(blob); }
  SECTION("replaced by a valid zstd frame of another real file, padded to the signed length") {
    // 1.0.0's data.bin, plus a zstd skippable frame: it decompresses fine, only the hash can tell.
    std::string stand_in = read_text(blobs / (upkeep::sha256_hex(data_of(0)) + ".zst"));
    const size_t signed_length = stdfs::file_size(blob);
    REQUIRE(signed_length >= stand_in.size() + 8);
    const uint32_t pad = static_cast<uint32_t>(signed_length - stand_in.size() - 8);
    stand_in += std::string("\x50\x2a\x4d\x18", 4);
    for (int shift = 0; shift < 32; shift += 8) stand_in += static_cast<char>((pad >> shift) & 0xff);
    stand_in += std::string(pad, '\0');
    write_text(blob, stand_in);
    REQUIRE(stdfs::file_size(blob) == signed_length);
  }
  auto installed = w.install("1.0.0");
  const Installed& app = *installed;
  RunResult r = update(app);
  INFO(r.out << r.err);
  CHECK(contains(r.out, "mainapp 1.0.0\n"));
  CHECK(contains(r.err, "the update check failed"));
  std::string log = read_text(app.prefix() / "logs" / "updater.log");
  CHECK(contains(log, "blobs/" + new_data_sha + ".zst: SHA-256 mismatch"));
  CHECK_FALSE(stdfs::exists(app.prefix() / "staging" / "2.0.0"));
  CHECK_FALSE(stdfs::exists(app.prefix() / "staging" / "2.0.0.delta"));
  CHECK(app.state_of("2.0.0").empty());
  CHECK(upkeep::hash_file_hex(app.prefix() / "versions" / "1.0.0" / "share" / "data.bin") ==
        upkeep::sha256_hex(data_of(0)));
  check_clean(app, "1.0.0");
}

TEST_CASE("an interrupted delta download resumes and a rebuilt file is not fetched again", "[delta][integration]") {
  DeltaWorld w;
  w.release("1.0.0", 0);
  {
    // 2.0.0 adds 4 MiB of new incompressible data: one large blob to interrupt.
    stdfs::path d = w.folder("2.0.0", 1);
    std::string big(4 << 20, '\0');
    std::mt19937 rng(9);
    for (auto& c : big) c = static_cast<char>(rng());
    write_text(d / "share" / "new.bin", big);
    w.vendor.release(d, "2.0.0");
  }
  for (const std::string step : {"download.half", "delta.rebuilt"}) {
    INFO("crash point: " << step);
    auto installed = w.install("1.0.0");
    const Installed& app = *installed;
    RunResult crashed = update(app, {{"UPKEEP_CRASH_AT", step}});
    INFO("crash run\n" << crashed.out << crashed.err);
    CHECK(contains(crashed.err, "the update check failed (exit 137)"));
    CHECK(contains(crashed.out, "mainapp 1.0.0\n"));
    const stdfs::path work = app.prefix() / "staging" / "2.0.0.delta";
    REQUIRE(stdfs::is_directory(work));
    uint64_t part_bytes = 0, objects = 0;
    for (const auto& e : stdfs::recursive_directory_iterator(work)) {
      if (e.path().extension() == ".part") part_bytes += e.file_size();
      if (e.path().parent_path().filename() == "objects" && e.is_regular_file()) ++objects;
    }
    if (step == "download.half") CHECK(part_bytes > 0);
    if (step == "delta.rebuilt") CHECK(objects == 1);

    RunResult again = update(app);
    INFO("second run\n" << again.out << again.err);
    CHECK(contains(again.out, "mainapp 2.0.0\n"));
    auto line = rebuilt_line(app, "2.0.0");
    REQUIRE(line);
    // Only what was missing came over the network: the rest of the .part, nothing rebuilt before.
    CHECK(line->bytes == line->planned - part_bytes);
    CHECK(line->have == 1 + static_cast<int>(objects));
    check_clean(app, "2.0.0");
  }
}

namespace {
// A file just over the zstd patch limit, mostly a hole, with the incompressible
// MiB at its start shared by every release and a last MiB of the release's own.
void big_data(const stdfs::path& file, uint32_t release) {
  write_text(file, "");
  const uint64_t size = upkeep::delta::kMaxZstdPatchSource + (1 << 20);
  stdfs::resize_file(file, size);
  std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
  const std::string head = delta_data::random_bytes(1 << 20, 5), tail = delta_data::random_bytes(1 << 20, release);
  out.write(head.data(), static_cast<std::streamsize>(head.size()));
  out.seekp(static_cast<std::streamoff>(size - tail.size()));
  out.write(tail.data(), static_cast<std::streamsize>(tail.size()));
}
}  // namespace

TEST_CASE("a vendor's script app with a file above 64 MiB is updated by a zstd-long patch", "[delta][integration]") {
  DeltaWorld w;
  for (const auto& [version, seed] : {std::pair<std::string, uint32_t>{"1.0.0", 1}, {"2.0.0", 2}}) {
    const stdfs::path d = w.vendor.script_build_folder(
        version, "echo \"tool " + version + " $(wc -c < \"$(dirname \"$0\")/data/big.bin\")\"\n");
    big_data(d / "data" / "big.bin", seed);
    w.vendor.release(d, version, "", {"--compression", "max", "--jobs", "2"});
  }
  auto installed = w.install("1.0.0");
  const Installed& app = *installed;
  RunResult r = update(app);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  const std::string size = std::to_string(upkeep::delta::kMaxZstdPatchSource + (1 << 20));
  CHECK(contains(r.out, "tool 2.0.0 " + size + "\n"));
  auto line = rebuilt_line(app, "2.0.0");
  REQUIRE(line);
  CHECK(line->patched >= 1);  // the big file (the script may come whole: too small for a patch to pay)
  // The big file's patch carries its new MiB, not the shared one: under 1.5 MiB in all.
  CHECK(line->bytes < (3u << 20) / 2);
  bool long_patch = false;
  for (const auto& p : w.repo_files("patches")) long_patch |= p.filename().string().ends_with(".zstd-long");
  CHECK(long_patch);
  CHECK(upkeep::hash_file_hex(app.prefix() / "versions" / "2.0.0" / "data" / "big.bin") ==
        upkeep::hash_file_hex(w.vendor.dir() / "build-2.0.0" / "data" / "big.bin"));
  check_clean(app, "2.0.0");
}

TEST_CASE("a vendor's C program with a private shared library is updated by an elf patch",
          "[delta][integration][elf]") {
  // A C program linked against its own library in lib/ (found through $ORIGIN),
  // built by the real gcc; 2.0.0 is a bug-fix build of the library. The library
  // carries 65 MiB of padding, so no bsdiff patch is made for it: the elf patch
  // then wins over zstd-long and the client must take that route.
  DeltaWorld w;
  TempDir tmp;
  std::map<std::string, std::string> expected;  // version -> what its program prints
  for (const auto& [version, edited] : {std::pair<std::string, bool>{"1.0.0", false}, {"2.0.0", true}}) {
    const stdfs::path d = w.vendor.script_build_folder(version, "");
    const stdfs::path lib = d / "lib" / "libvendor.so";
    stdfs::create_directories(lib.parent_path());
    write_text(lib, delta_data::gcc_shared_library(delta_data::c_program(1500, edited), tmp));
    const std::string program = delta_data::compiled(
        "#include <stdio.h>\nint fn1499(int, const char*);\n"
        "int main(void) { printf(\"vendor tool %d\\n\", fn1499(3, \"x\")); return 0; }\n",
        tmp,
        {"/usr/bin/gcc", "-O2", "-Wl,--no-as-needed", "-L" + lib.parent_path().string(), "-l:libvendor.so",
         "-Wl,-rpath,$ORIGIN/lib"});
    write_text(d / "mainapp", program);
    chmod((d / "mainapp").c_str(), 0755);
    RunResult direct = run({(d / "mainapp").string()});
    REQUIRE(direct.exit_code == 0);
    expected[version] = direct.out;
    stdfs::resize_file(lib, upkeep::delta::kMaxSuffixSortSource + (1 << 20));
    w.vendor.release(d, version, "");
  }
  REQUIRE(expected["1.0.0"] != expected["2.0.0"]);  // the fix shows in what it prints

  auto installed = w.install("1.0.0");
  const Installed& app = *installed;
  RunResult r = update(app);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, expected["2.0.0"]));  // the rebuilt library is the one the loader runs
  auto line = rebuilt_line(app, "2.0.0");
  REQUIRE(line);
  CHECK(line->patched >= 1);
  CHECK(w.server->body_bytes_sent(".elf") > 0);
  CHECK(w.server->body_bytes_sent(".zstd-long") == 0);
  CHECK(upkeep::hash_file_hex(app.prefix() / "versions" / "2.0.0" / "lib" / "libvendor.so") ==
        upkeep::hash_file_hex(w.vendor.dir() / "build-2.0.0" / "lib" / "libvendor.so"));
  check_clean(app, "2.0.0");
}
