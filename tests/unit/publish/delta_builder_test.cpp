#include "upkeep/publish/delta_builder.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "unit/delta/delta_test_data.h"
#include "unit/tuf/tuf_test_repo.h"
#include "upkeep/base/hash.h"
#include "upkeep/delta/codec.h"
#include "upkeep/delta/delta_bundle.h"
#include "upkeep/delta/delta_index.h"
#include "upkeep/install/manifest.h"
#include "upkeep/platform/fs.h"
#include "upkeep/publish/compression_preset.h"

using namespace upkeep;
using namespace upkeep::test;

namespace {

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// Publishes a build folder holding `files` (relative path -> content); `tune` may change the release's info.
publish::PublishedRelease publish_release(RepoFixture& f, const std::string& version,
                                          const std::map<std::string, std::string>& files, int delta_from = 3,
                                          const std::function<void(publish::ReleaseInfo&)>& tune = {}) {
  stdfs::path build = f.tmp / ("build" + std::to_string(++f.builds));
  for (const auto& [path, content] : files) write_text(build / path, content);
  publish::ReleaseInfo info;
  info.app_id = "demo";
  info.version = version;
  info.platform = "linux-x86_64";
  info.delta_from = delta_from;
  if (tune) tune(info);
  return f.publisher.publish_release(build, info);
}

// Publishes the folder `build` as it is, with the fast preset (for large files).
publish::PublishedRelease publish_folder(RepoFixture& f, const stdfs::path& build, const std::string& version) {
  publish::ReleaseInfo info;
  info.app_id = "demo";
  info.platform = "linux-x86_64";
  info.compression = publish::CompressionPreset::kFast;
  info.version = version;
  return f.publisher.publish_release(build, info);
}

// The delta index in the release's delta bundle, matched with its files.json (which gives the sizes).
delta::DeltaIndex index_of(const publish::PublishedRelease& r) {
  REQUIRE(!r.delta_file.empty());
  const std::string bundle = read_text(r.delta_file), manifest = read_text(r.manifest_file);
  auto parts = delta::unpack_delta_bundle(bundle, {bundle.size(), sha256_hex(bundle)},
                                          {manifest.size(), sha256_hex(manifest)}, r.delta_file.string());
  auto index = delta::DeltaIndex::parse(parts.index_text, r.delta_file.string());
  index.check_matches(FileManifest::parse(manifest));
  return index;
}

stdfs::path store(const RepoFixture& f, const std::string& target) { return f.repo() / "targets" / target; }

// Every path below `dir`, folders included.
std::set<std::string> listing(const stdfs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : stdfs::recursive_directory_iterator(dir)) out.insert(stdfs::relative(e.path(), dir).string());
  return out;
}

size_t count_files(const stdfs::path& dir) {
  if (!stdfs::exists(dir)) return 0;
  size_t n = 0;
  for (const auto& e : stdfs::directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

// 40 files of text shaped like documentation, each its own content.
std::map<std::string, std::string> many_documents() {
  std::map<std::string, std::string> files;
  for (uint32_t i = 0; i < 40; ++i) files["doc/page" + std::to_string(i)] = delta_data::document_text(200 + 50 * i, i);
  return files;
}

// A 64 KiB incompressible file and a copy with a few bytes changed: a patch is far smaller than the blob.
const std::string kOld = random_bytes(64 << 10, 1);
std::string changed() {
  std::string s = kOld;
  for (size_t at : {100u, 30000u, 60000u}) s[at] = static_cast<char>(s[at] ^ 0x5a);
  return s;
}

}  // namespace

TEST_CASE("the first release writes one blob per distinct content and duplicates share one", "[delta][vendor]") {
  RepoFixture f;
  auto r = publish_release(f, "1.0.0", {{"bin/app", kOld}, {"lib/copy", kOld}, {"README", "hello\n"}});
  CHECK(r.delta_target == "demo/1.0.0/linux-x86_64/delta.zst");
  CHECK(r.delta.contents == 2);
  CHECK(r.delta.blobs_written == 2);
  CHECK(r.delta.blobs_reused == 0);
  CHECK(r.delta.patches_kept == 0);
  CHECK(count_files(f.repo() / "targets/demo/blobs") == 2);
  CHECK_FALSE(stdfs::exists(f.repo() / "targets/demo/patches"));

  auto index = index_of(r);
  CHECK(index.version() == "1.0.0");
  REQUIRE(index.entries().size() == 2);
  CHECK(index.entries()[0].sha256 < index.entries()[1].sha256);
  uint64_t blob_bytes = 0;
  for (const auto& e : index.entries()) {
    stdfs::path blob = store(f, delta::blob_target_path("demo", e.sha256));
    REQUIRE(stdfs::exists(blob));
    CHECK(e.blob.length == stdfs::file_size(blob));
    CHECK(e.blob.sha256 == hash_file_hex(blob));
    CHECK(fs::file_mode(blob) == 0644);
    CHECK(e.patches.empty());
    blob_bytes += e.blob.length;
    TempDir out;
    CHECK(delta::decompress_blob(blob, out / "file", e.size) == e.sha256);
  }
  CHECK(r.delta.blob_bytes == blob_bytes);
  CHECK(r.delta.blob_bytes_written == blob_bytes);
  // The work folder is gone.
  for (const auto& e : stdfs::directory_iterator(f.repo()))
    CHECK(e.path().filename().string().rfind(".delta-work", 0) != 0);
}

TEST_CASE("a changed file gets one new blob and a patch that rebuilds it", "[delta][vendor]") {
  RepoFixture f;
  publish_release(f, "1.0.0", {{"bin/app", kOld}, {"README", "hello\n"}});
  const std::string next = changed();
  auto r = publish_release(f, "1.1.0", {{"bin/app", next}, {"README", "hello\n"}});
  CHECK(r.delta.blobs_written == 1);
  CHECK(r.delta.blobs_reused == 1);
  CHECK(r.delta.patches_computed == 2);  // zstd and bsdiff
  CHECK(r.delta.patches_kept == 1);
  CHECK(count_files(f.repo() / "targets/demo/blobs") == 3);
  CHECK(count_files(f.repo() / "targets/demo/patches") == 1);

  auto index = index_of(r);
  const delta::ContentEntry* readme = index.find(sha256_hex("hello\n"));
  REQUIRE(readme);
  CHECK(readme->patches.empty());  // unchanged: no new blob, no patch
  const delta::ContentEntry* app = index.find(sha256_hex(next));
  REQUIRE(app);
  REQUIRE(app->patches.size() == 1);
  const delta::PatchRoute& p = app->patches[0];
  CHECK(p.from == sha256_hex(kOld));
  CHECK(static_cast<double>(p.stored.length) <= publish::kMaxPatchToBlobRatio * static_cast<double>(app->blob.length));
  stdfs::path patch = store(f, delta::patch_target_path("demo", p.from, app->sha256, p.algorithm));
  REQUIRE(stdfs::exists(patch));
  CHECK(p.stored.length == stdfs::file_size(patch));
  CHECK(p.stored.sha256 == hash_file_hex(patch));

  TempDir work;
  write_text(work / "old", kOld);
  auto algorithm = delta::parse_algorithm(p.algorithm);
  REQUIRE(algorithm);
  CHECK(delta::apply_patch(*algorithm, work / "old", patch, work / "new", next.size()) == sha256_hex(next));
  CHECK(read_text(work / "new") == next);
}

TEST_CASE("a changed .gz man page gets a gzip patch, far smaller than patches of its bytes", "[delta][vendor][gzip]") {
  RepoFixture f;
  TempDir tmp;
  namespace data = upkeep::test::delta_data;
  const std::string old_gz = data::gzip_bytes(data::document_text(6000, 5, "3.0.17"), 9, tmp);
  const std::string new_gz = data::gzip_bytes(data::document_text(6000, 5, "3.0.20"), 9, tmp);
  publish_release(f, "1.0.0", {{"man/openssl.1.gz", old_gz}});
  auto r = publish_release(f, "1.1.0", {{"man/openssl.1.gz", new_gz}});
  CHECK(r.delta.patches_computed == 3);  // zstd, bsdiff and gzip
  auto index = index_of(r);
  const delta::ContentEntry* page = index.find(sha256_hex(new_gz));
  REQUIRE(page);
  REQUIRE(page->patches.size() == 1);
  const delta::PatchRoute& p = page->patches[0];
  CHECK(p.algorithm == "gzip");
  // Only the title line changed; the bytes of the .gz differ almost everywhere.
  TempDir work;
  write_text(work / "old", old_gz);
  write_text(work / "new", new_gz);
  REQUIRE(delta::make_patch(delta::PatchAlgorithm::kZstd, work / "old", work / "new", work / "bytes.zstd"));
  INFO("gzip patch " << p.stored.length << " bytes, zstd patch of the bytes " << stdfs::file_size(work / "bytes.zstd"));
  CHECK(p.stored.length * 10 < stdfs::file_size(work / "bytes.zstd"));
  const stdfs::path patch = store(f, delta::patch_target_path("demo", p.from, page->sha256, p.algorithm));
  CHECK(delta::apply_patch(delta::PatchAlgorithm::kGzip, work / "old", patch, work / "rebuilt", new_gz.size()) ==
        sha256_hex(new_gz));
}

TEST_CASE("a changed LLVM bitcode file gets a bit-shift patch, far smaller than patches of its bytes",
          "[delta][vendor][bits]") {
  RepoFixture f;
  namespace data = upkeep::test::delta_data;
  const std::string old_bc = data::bit_stream(20000, 9);
  const std::string new_bc = data::bit_stream(20000, 9, 5000);
  publish_release(f, "1.0.0", {{"lib/bitcode/heapam.bc", old_bc}, {"bin/app", kOld}});
  auto r = publish_release(f, "1.1.0", {{"lib/bitcode/heapam.bc", new_bc}, {"bin/app", changed()}});
  CHECK(r.delta.patches_computed == 5);  // zstd, bsdiff and bits for the bitcode; zstd and bsdiff for the program
  auto index = index_of(r);
  const delta::ContentEntry* bc = index.find(sha256_hex(new_bc));
  REQUIRE(bc);
  REQUIRE(bc->patches.size() == 1);
  CHECK(bc->patches[0].algorithm == "bits");
  const delta::ContentEntry* app = index.find(sha256_hex(changed()));
  REQUIRE(app);
  REQUIRE(app->patches.size() == 1);
  CHECK(app->patches[0].algorithm != "bits");  // not a bit stream: never tried

  TempDir work;
  write_text(work / "old", old_bc);
  write_text(work / "new", new_bc);
  REQUIRE(delta::make_patch(delta::PatchAlgorithm::kZstd, work / "old", work / "new", work / "bytes.zstd"));
  INFO("bits patch " << bc->patches[0].stored.length << " bytes, zstd patch " << stdfs::file_size(work / "bytes.zstd"));
  CHECK(bc->patches[0].stored.length * 10 < stdfs::file_size(work / "bytes.zstd"));
  const stdfs::path patch = store(f, delta::patch_target_path("demo", bc->patches[0].from, bc->sha256, "bits"));
  CHECK(delta::apply_patch(delta::PatchAlgorithm::kBits, work / "old", patch, work / "rebuilt", new_bc.size()) ==
        sha256_hex(new_bc));
}

TEST_CASE("clang's bitcode of a changed program gets a bitcode patch, the smallest of the four",
          "[delta][vendor][bits]") {
  RepoFixture f;
  TempDir tmp;
  namespace data = upkeep::test::delta_data;
  const std::string old_bc = data::clang_bitcode(data::c_program(120, false), tmp);
  const std::string new_bc = data::clang_bitcode(data::c_program(120, true), tmp);
  publish_release(f, "1.0.0", {{"lib/bitcode/prog.bc", old_bc}});
  auto r = publish_release(f, "1.1.0", {{"lib/bitcode/prog.bc", new_bc}});
  CHECK(r.delta.patches_computed == 4);  // zstd, bsdiff, bits and bitcode
  auto index = index_of(r);
  const delta::ContentEntry* bc = index.find(sha256_hex(new_bc));
  REQUIRE(bc);
  REQUIRE(bc->patches.size() == 1);
  CHECK(bc->patches[0].algorithm == "bitcode");
  TempDir work;
  write_text(work / "old", old_bc);
  const stdfs::path patch = store(f, delta::patch_target_path("demo", bc->patches[0].from, bc->sha256, "bitcode"));
  CHECK(delta::apply_patch(delta::PatchAlgorithm::kBitcode, work / "old", patch, work / "rebuilt", new_bc.size()) ==
        sha256_hex(new_bc));
}

TEST_CASE("delta_from 0 writes blobs only", "[delta][vendor]") {
  RepoFixture f;
  publish_release(f, "1.0.0", {{"bin/app", kOld}});
  auto r = publish_release(f, "1.1.0", {{"bin/app", changed()}}, 0);
  CHECK(r.delta.blobs_written == 1);
  CHECK(r.delta.patches_computed == 0);
  auto index = index_of(r);
  REQUIRE(index.find(sha256_hex(changed())));
  CHECK(index.find(sha256_hex(changed()))->patches.empty());
  CHECK_FALSE(stdfs::exists(f.repo() / "targets/demo/patches"));
}

TEST_CASE("delta_from below 0 publishes no delta bundle", "[delta][vendor]") {
  RepoFixture f;
  auto r = publish_release(f, "1.0.0", {{"bin/app", kOld}}, -1);
  CHECK(r.delta_target.empty());
  CHECK_FALSE(stdfs::exists(f.repo() / "targets/demo/blobs"));
  auto client = f.client();
  client->refresh();
  CHECK(client->targets().size() == 2);
  CHECK(client->find_target(r.package_target)->custom.find("delta") == nullptr);
}

TEST_CASE("a patch that is not clearly smaller than the blob is not kept", "[delta][vendor]") {
  RepoFixture f;
  publish_release(f, "1.0.0", {{"bin/app", kOld}});
  const std::string other = random_bytes(kOld.size(), 2);
  auto r = publish_release(f, "1.1.0", {{"bin/app", other}});
  CHECK(r.delta.patches_computed == 2);
  CHECK(r.delta.patches_kept == 0);
  auto index = index_of(r);
  REQUIRE(index.find(sha256_hex(other)));
  CHECK(index.find(sha256_hex(other))->patches.empty());
  CHECK(count_files(f.repo() / "targets/demo/patches") == 0);
}

TEST_CASE("a release published without deltas is a patch source through its package.zip", "[delta][vendor]") {
  RepoFixture f;
  publish_release(f, "1.0.0", {{"bin/app", kOld}}, -1);
  auto r = publish_release(f, "1.1.0", {{"bin/app", changed()}});
  CHECK(r.delta.patches_kept == 1);
  auto index = index_of(r);
  const auto& patches = index.find(sha256_hex(changed()))->patches;
  REQUIRE(patches.size() == 1);
  CHECK(patches[0].from == sha256_hex(kOld));
  // The old content never became a blob: only the source was extracted.
  CHECK_FALSE(stdfs::exists(store(f, delta::blob_target_path("demo", sha256_hex(kOld)))));
}

TEST_CASE("patches start from the newest delta_from older releases of any channel", "[delta][vendor]") {
  RepoFixture f;
  const std::string v1 = kOld, v2 = changed();
  std::string v3 = v2;
  v3[5000] = static_cast<char>(v3[5000] ^ 1);
  publish_release(f, "1.0.0", {{"bin/app", v1}});
  publish_release(f, "1.1.0", {{"bin/app", v2}});
  std::string v4 = v3;
  v4[9000] = static_cast<char>(v4[9000] ^ 1);
  publish_release(f, "1.2.0", {{"bin/app", v3}});
  auto r = publish_release(f, "1.3.0", {{"bin/app", v4}}, 2);
  std::set<std::string> from;
  auto index = index_of(r);
  for (const auto& p : index.find(sha256_hex(v4))->patches) from.insert(p.from);
  CHECK(from == std::set<std::string>{sha256_hex(v2), sha256_hex(v3)});
}

TEST_CASE("source_candidate prefers the same path, then the same folder name, then the closest size",
          "[delta][vendor]") {
  const std::string a(64, 'a'), b(64, 'b'), c(64, 'c'), d(64, 'd'), t(64, 'f');
  auto entry = [](const std::string& path, uint64_t size, const std::string& sha) {
    return "{\"mode\":420,\"path\":\"" + path + "\",\"sha256\":\"" + sha + "\",\"size\":" + std::to_string(size) + "}";
  };
  FileManifest prior = FileManifest::parse("{\"files\":[" + entry("app-1.0/bin/tool", 500, a) + "," +
                                           entry("app-1.0/lib/tool", 100, b) + "," + entry("other/tool", 990, c) + "," +
                                           entry("same/path", 10, d) + "],\"format\":1,\"version\":\"1.0.0\"}");
  FileEntry target{"same/path", 1000, t, 0644};
  CHECK(publish::source_candidate(prior, target)->path == "same/path");
  target.sha256 = d;  // unchanged at the same path: nothing to patch
  CHECK(publish::source_candidate(prior, target) == nullptr);
  target = {"app-1.1/bin/tool", 1000, t, 0644};
  CHECK(publish::source_candidate(prior, target)->path == "app-1.0/bin/tool");  // same folder name beats size
  target = {"x/tool", 1000, t, 0644};
  CHECK(publish::source_candidate(prior, target)->path == "other/tool");  // closest size
  target = {"x/none", 1000, t, 0644};
  CHECK(publish::source_candidate(prior, target) == nullptr);
}

TEST_CASE("a publish that fails after the delta build leaves no new blobs, patches or work folders",
          "[delta][vendor]") {
  RepoFixture f;
  publish_release(f, "1.0.0", {{"bin/app", kOld}});
  auto before = snapshot_tree(f.repo());
  auto names = listing(f.repo());
  REQUIRE(f.keys.remove_key(tuf::kSnapshotRole, f.key(tuf::kSnapshotRole)->key_id()));
  auto [code, message] = error_of([&] {
    publish_release(f, "1.1.0", {{"bin/app", changed()}, {"new", "new file\n"}});
  });
  CHECK(code == ErrorCode::kNotFound);
  CHECK(snapshot_tree(f.repo()) == before);
  CHECK(listing(f.repo()) == names);  // no patches folder, no work folder, no release folder
}

TEST_CASE("a publish that fails inside the delta build leaves the store as it was", "[delta][vendor]") {
  RepoFixture f;
  publish_release(f, "1.0.0", {{"bin/app", kOld}});
  auto before = snapshot_tree(f.repo());
  auto names = listing(f.repo());
  // The changed file's blob cannot be renamed into place.
  ImmutableDir frozen(f.repo() / "targets/demo/blobs");
  if (!frozen.active()) {
    WARN("skipped: cannot make a folder immutable here (needs root and a file system with chattr +i)");
    return;
  }
  std::map<std::string, std::string> files{{"bin/app", changed()}, {"new", "new file\n"}};
  unsigned threads = 1;
  SECTION("one thread") {}
  SECTION("blobs made on four threads") {
    files = many_documents();
    threads = 4;
  }
  auto [code, message] =
      error_of([&] { publish_release(f, "1.1.0", files, 3, [&](publish::ReleaseInfo& i) { i.threads = threads; }); });
  frozen.release();
  CHECK(code != ErrorCode::kOk);
  CHECK(snapshot_tree(f.repo()) == before);
  CHECK(listing(f.repo()) == names);
}

TEST_CASE("the delta bundle is a signed target holding files.json, and the package's custom names it",
          "[delta][vendor]") {
  RepoFixture f;
  publish_release(f, "1.0.0", {{"bin/app", kOld}});
  auto r = publish_release(f, "1.1.0", {{"bin/app", changed()}, {"README", "hi\n"}});
  CHECK(r.delta_file == f.repo() / "targets/demo/1.1.0/linux-x86_64" / (hash_file_hex(r.delta_file) + ".delta.zst"));
  auto client = f.client();
  client->refresh();
  auto pkg = client->find_target(r.package_target);
  REQUIRE(pkg);
  CHECK(pkg->custom.get_string("delta") == r.delta_target);
  auto target = client->find_target(r.delta_target);
  REQUIRE(target);
  auto files = client->find_target(r.manifest_target);
  REQUIRE(files);
  const std::string bundle = f.fetcher.get(client->target_url(*target), target->length);
  const std::string manifest = f.fetcher.get(client->target_url(*files), files->length);
  // Checked against both signed targets: its own and files.json's.
  auto parts = delta::unpack_delta_bundle(bundle, {target->length, target->sha256()}, {files->length, files->sha256()},
                                          r.delta_target);
  CHECK(parts.manifest_text == manifest);
  auto index = delta::DeltaIndex::parse(parts.index_text);
  CHECK(index.to_json() == parts.index_text);
  CHECK(index.entries().size() == 2);
  // Every route the index lists is served, with the signed length and hash.
  for (const auto& e : index.entries()) {
    CHECK(hash_file_hex(store(f, delta::blob_target_path("demo", e.sha256))) == e.blob.sha256);
    for (const auto& p : e.patches)
      CHECK(hash_file_hex(store(f, delta::patch_target_path("demo", p.from, e.sha256, p.algorithm))) ==
            p.stored.sha256);
  }
}

namespace {
// Each content's blob, by content hash.
std::map<std::string, std::string> blobs_of(const publish::PublishedRelease& r) {
  std::map<std::string, std::string> out;
  const delta::DeltaIndex index = index_of(r);
  for (const auto& e : index.entries()) out[e.sha256] = e.blob.sha256;
  return out;
}
}  // namespace

TEST_CASE("blobs made on several threads are those made on one", "[delta][vendor]") {
  RepoFixture one, four;
  auto a = publish_release(one, "1.0.0", many_documents(), 3, [](publish::ReleaseInfo& i) { i.threads = 1; });
  auto b = publish_release(four, "1.0.0", many_documents(), 3, [](publish::ReleaseInfo& i) { i.threads = 4; });
  CHECK(a.delta.blobs_written == 40);
  CHECK(b.delta.blobs_written == 40);
  CHECK(blobs_of(a) == blobs_of(b));
  CHECK(a.delta.blob_bytes == b.delta.blob_bytes);
  CHECK(count_files(four.repo() / "targets/demo/blobs") == 40);
}

TEST_CASE("the compression preset sets how small the blobs are", "[delta][vendor]") {
  std::map<publish::CompressionPreset, uint64_t> bytes;
  for (auto preset :
       {publish::CompressionPreset::kFast, publish::CompressionPreset::kDefault, publish::CompressionPreset::kMax}) {
    RepoFixture f;
    auto r = publish_release(f, "1.0.0", many_documents(), 3, [&](publish::ReleaseInfo& i) { i.compression = preset; });
    bytes[preset] = r.delta.blob_bytes;
    const delta::DeltaIndex index = index_of(r);
    for (const auto& e : index.entries()) {  // every blob still decodes to its content
      TempDir out;
      CHECK(delta::decompress_blob(store(f, delta::blob_target_path("demo", e.sha256)), out / "f", e.size) == e.sha256);
    }
  }
  CHECK(bytes[publish::CompressionPreset::kFast] > bytes[publish::CompressionPreset::kDefault]);
  CHECK(bytes[publish::CompressionPreset::kDefault] >= bytes[publish::CompressionPreset::kMax]);
  CHECK(publish::parse_compression_preset("max") == publish::CompressionPreset::kMax);
  CHECK_FALSE(publish::parse_compression_preset("ultra"));
}

TEST_CASE("a file larger than a zstd patch allows gets a zstd-long patch and no suffix sort", "[delta][vendor]") {
  RepoFixture f;
  const stdfs::path build1 = f.tmp / "big1", build2 = f.tmp / "big2";
  const uint64_t size = delta::kMaxZstdPatchSource + (1 << 20);
  // Mostly a hole (cheap to write and compress), with incompressible MiBs a patch must carry or find.
  auto make = [&](const stdfs::path& dir, uint32_t seed_end) {
    write_text(dir / "lib/big.so", "");
    stdfs::resize_file(dir / "lib/big.so", size);
    std::fstream out(dir / "lib/big.so", std::ios::in | std::ios::out | std::ios::binary);
    const std::string head = random_bytes(1 << 20, 7), tail = random_bytes(1 << 20, seed_end);
    out.write(head.data(), static_cast<std::streamsize>(head.size()));
    out.seekp(static_cast<std::streamoff>(size - tail.size()));
    out.write(tail.data(), static_cast<std::streamsize>(tail.size()));
  };
  make(build1, 8);
  make(build2, 9);
  publish_folder(f, build1, "1.0.0");
  auto r = publish_folder(f, build2, "2.0.0");
  CHECK(r.delta.patches_computed == 1);  // zstd-long only: no bsdiff of a source this large
  REQUIRE(r.delta.patches_kept == 1);
  const delta::DeltaIndex index = index_of(r);
  const delta::ContentEntry* e = index.find(hash_file_hex(build2 / "lib/big.so"));
  REQUIRE(e);
  REQUIRE(e->patches.size() == 1);
  CHECK(e->patches[0].algorithm == "zstd-long");
  // The unchanged MiB is found, the new one is not: about half the blob.
  CHECK(static_cast<double>(e->patches[0].stored.length) < 0.6 * static_cast<double>(e->blob.length));
  TempDir work;
  const stdfs::path patch = store(f, delta::patch_target_path("demo", e->patches[0].from, e->sha256, "zstd-long"));
  CHECK(delta::apply_patch(delta::PatchAlgorithm::kZstdLong, build1 / "lib/big.so", patch, work / "new", size) ==
        e->sha256);
}

TEST_CASE("an elf patch that is the smallest keeps a route older clients know beside it", "[delta][vendor][elf]") {
  RepoFixture f;
  TempDir tmp;
  namespace data = upkeep::test::delta_data;
  // gcc's library, then a hole past kMaxSuffixSortSource: no bsdiff, so zstd-long is the older algorithm's best.
  auto library = [&](const stdfs::path& dir, bool edited) {
    write_text(dir / "lib/libdemo.so", data::gcc_shared_library(data::c_program(1500, edited), tmp));
    stdfs::resize_file(dir / "lib/libdemo.so", delta::kMaxSuffixSortSource + (1 << 20));
  };
  const stdfs::path build1 = f.tmp / "elf1", build2 = f.tmp / "elf2";
  library(build1, false);
  library(build2, true);
  publish_folder(f, build1, "1.0.0");
  auto r = publish_folder(f, build2, "2.0.0");
  CHECK(r.delta.patches_computed == 2);  // zstd-long and elf
  REQUIRE(r.delta.patches_kept == 2);
  const delta::DeltaIndex index = index_of(r);
  const std::string new_sha = hash_file_hex(build2 / "lib/libdemo.so");
  const delta::ContentEntry* e = index.find(new_sha);
  REQUIRE(e);
  std::map<std::string, uint64_t> routes;
  for (const delta::PatchRoute& p : e->patches) routes[p.algorithm] = p.stored.length;
  REQUIRE(routes.size() == 2);
  REQUIRE(routes.count("elf"));
  REQUIRE(routes.count("zstd-long"));
  CHECK(routes["elf"] < routes["zstd-long"]);

  const stdfs::path patch = store(f, delta::patch_target_path("demo", e->patches[0].from, e->sha256, "elf"));
  CHECK(delta::apply_patch(delta::PatchAlgorithm::kElf, build1 / "lib/libdemo.so", patch, tmp / "rebuilt",
                           stdfs::file_size(build2 / "lib/libdemo.so")) == new_sha);
}
