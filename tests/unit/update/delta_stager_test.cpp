// DeltaStager on real files: an install root with version 1.0.0, blobs and
// patches under a file:// repository, and hand-made delta indexes (so a
// patch that is served as signed but rebuilds other bytes can be tested).
#include "upkeep/update/delta_stager.h"

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/base/hash.h"
#include "upkeep/delta/codec.h"
#include "upkeep/net/http_fetcher.h"
#include "upkeep/platform/fs.h"

using namespace upkeep;
using namespace upkeep::delta;
namespace stdfs = std::filesystem;
using upkeep::test::error_of;
using upkeep::test::read_text;
using upkeep::test::TempDir;
using upkeep::test::write_text;

namespace {

std::string manifest_json(const std::string& version, const std::vector<FileEntry>& files) {
  std::string out = R"({"files":[)";
  for (size_t i = 0; i < files.size(); ++i)
    out += (i ? "," : "") + std::string(R"({"mode":)") + std::to_string(files[i].mode) + R"(,"path":")" +
           files[i].path + R"(","sha256":")" + files[i].sha256 + R"(","size":)" + std::to_string(files[i].size) + "}";
  return out + R"(],"format":1,"version":")" + version + R"("})";
}

FileEntry entry(const std::string& path, const std::string& content, uint32_t mode = 0644) {
  return {path, content.size(), sha256_hex(content), mode};
}

std::string text(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>('a' + (seed = seed * 1103515245 + 12345) % 26);
  return s;
}

struct World {
  World() : layout(dir / "app") {
    // Installed 1.0.0: one file "a" holding `old_content`.
    fs::create_directories_durable(layout.version_dir("1.0.0"));
    fs::create_directories_durable(layout.manifests_dir());
    fs::create_directories_durable(layout.staging_dir());
    write_text(layout.version_dir("1.0.0") / "a", old_content);
    write_text(layout.manifest_file("1.0.0"), manifest_json("1.0.0", {entry("a", old_content)}));
    layout.switch_current("1.0.0");
  }

  // Stores `content` as a blob in the repository; returns how it is served.
  Stored blob(const std::string& content, const std::string& as_sha = "") {
    stdfs::path src = dir / "src";
    write_text(src, content);
    stdfs::path dest = repo() / blob_target_path("demo", as_sha.empty() ? sha256_hex(content) : as_sha);
    stdfs::create_directories(dest.parent_path());
    stdfs::remove(dest);
    compress_blob(src, dest);
    return {stdfs::file_size(dest), hash_file_hex(dest)};
  }
  // A zstd patch from `from` that rebuilds `to`, stored as the patch to content `as_sha`.
  PatchRoute patch(const std::string& from, const std::string& to, const std::string& as_sha) {
    write_text(dir / "from", from);
    write_text(dir / "to", to);
    stdfs::path dest = repo() / patch_target_path("demo", sha256_hex(from), as_sha, "zstd");
    stdfs::create_directories(dest.parent_path());
    stdfs::remove(dest);
    make_patch(PatchAlgorithm::kZstd, dir / "from", dir / "to", dest);
    return {"zstd", sha256_hex(from), {stdfs::file_size(dest), hash_file_hex(dest)}};
  }
  stdfs::path repo() const { return dir / "repo" / "targets"; }

  DeltaStager::Result stage(const FileManifest& m, const DeltaIndex& index, uint64_t package_length = 1u << 30) {
    return DeltaStager(layout, fetcher)
        .stage(m, index, {"demo", "file://" + repo().string() + "/"}, package_length, layout.staged_dir(m.version()),
               nullptr);
  }

  TempDir dir;
  Layout layout;
  net::HttpFetcher fetcher;
  const std::string old_content = text(200000, 1);
};

}  // namespace

TEST_CASE("a patch that is served as signed but rebuilds other bytes is replaced by the blob", "[delta]") {
  World w;
  std::string wanted = w.old_content.substr(0, 100000) + "new middle" + w.old_content.substr(100000);
  std::string other = w.old_content + "something else";
  const std::string sha = sha256_hex(wanted);
  ContentEntry e{sha, wanted.size(), w.blob(wanted), {w.patch(w.old_content, other, sha)}};
  auto m = FileManifest::parse(manifest_json("2.0.0", {entry("a", wanted)}));
  DeltaIndex index("2.0.0", {e});
  index.check_matches(m);

  auto r = w.stage(m, index);
  CHECK(r.staged);
  CHECK(r.patch_fallbacks == 1);
  CHECK(r.patched == 0);
  CHECK(r.blobs == 1);
  CHECK(read_text(w.layout.staged_dir("2.0.0") / "a") == wanted);
  CHECK_FALSE(stdfs::exists(w.layout.delta_work_dir("2.0.0")));
}

TEST_CASE("a blob that rebuilds other bytes is a verification error and nothing is left", "[delta]") {
  World w;
  std::string wanted = "the wanted content\n";
  const std::string sha = sha256_hex(wanted);
  ContentEntry e{sha, wanted.size(), w.blob("other content, 19 b", sha), {}};
  auto m = FileManifest::parse(manifest_json("2.0.0", {entry("a", wanted)}));
  auto msg = error_of([&] { w.stage(m, DeltaIndex("2.0.0", {e})); }, ErrorCode::kVerification);
  CHECK_THAT(msg, Catch::Contains("blobs/" + sha + ".zst: rebuilds content " + sha256_hex("other content, 19 b")));
  CHECK_THAT(msg, Catch::Contains("the signed hash is " + sha));
  CHECK_FALSE(stdfs::exists(w.layout.staged_dir("2.0.0")));
  CHECK_FALSE(stdfs::exists(w.layout.delta_work_dir("2.0.0")));
  CHECK(read_text(w.layout.version_dir("1.0.0") / "a") == w.old_content);  // the source is untouched
}

TEST_CASE("the delta route is not taken when it would cost at least the package", "[delta]") {
  World w;
  std::string wanted = text(5000, 2);
  ContentEntry e{sha256_hex(wanted), wanted.size(), w.blob(wanted), {}};
  auto m = FileManifest::parse(manifest_json("2.0.0", {entry("a", wanted)}));
  auto r = w.stage(m, DeltaIndex("2.0.0", {e}), e.blob.length);
  CHECK_FALSE(r.staged);
  CHECK(r.planned_bytes == e.blob.length);
  CHECK_FALSE(stdfs::exists(w.layout.staged_dir("2.0.0")));
}

TEST_CASE("held files are reused with their new paths and modes, a changed one is fetched", "[delta]") {
  World w;
  // 2.0.0: the old content twice (two modes) and the held content under a new name.
  auto m = FileManifest::parse(
      manifest_json("2.0.0", {entry("bin/tool", w.old_content, 0755), entry("data/a", w.old_content, 0644)}));
  ContentEntry e{sha256_hex(w.old_content), w.old_content.size(), w.blob(w.old_content), {}};
  DeltaIndex index("2.0.0", {e});
  index.check_matches(m);

  auto r = w.stage(m, index);
  CHECK(r.staged);
  CHECK(r.have == 1);
  CHECK(r.blobs == 0);
  CHECK(r.bytes_transferred == 0);
  stdfs::path staged = w.layout.staged_dir("2.0.0");
  CHECK(read_text(staged / "bin" / "tool") == w.old_content);
  CHECK(fs::file_mode(staged / "bin" / "tool") == 0755);
  CHECK(fs::file_mode(staged / "data" / "a") == 0644);
  CHECK(fs::file_mode(w.layout.version_dir("1.0.0") / "a") == 0644);  // a link never changes the source's mode
  CHECK(stdfs::hard_link_count(staged / "data" / "a") >= 2);
  m.verify_directory(staged, FileManifest::Depth::kFull);

  // The held file was changed since it was installed: fetched as its blob instead.
  fs::remove_tree(staged);
  write_text(w.layout.version_dir("1.0.0") / "a", "tampered");
  r = w.stage(m, index);
  CHECK(r.staged);
  CHECK(r.have == 0);
  CHECK(r.blobs == 1);
  CHECK(r.bytes_transferred == e.blob.length);
  m.verify_directory(staged, FileManifest::Depth::kFull);
}
