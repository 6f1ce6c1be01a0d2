#include "upkeep/publish/repository_mirror.h"

#include <catch2/catch.hpp>

#include "unit/tuf/tuf_test_repo.h"

using namespace upkeep;
using namespace upkeep::test;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

struct MirrorFixture : RepoFixture {
  stdfs::path mirror = tmp / "mirror";
  publish::MirrorResult run(std::optional<stdfs::path> trusted = std::nullopt) {
    publish::MirrorOptions o;
    o.source_url = base_url();
    o.dir = mirror;
    o.trusted_root = trusted ? *trusted : meta("1.root.json");
    return publish::RepositoryMirror(o, fetcher).run();
  }
  std::map<std::string, std::string> mirrored(const std::string& sub) const { return snapshot_tree(mirror / sub); }
};

void flip_byte(const stdfs::path& file) {
  std::string bytes = read_text(file);
  bytes[bytes.size() / 2] ^= 0x01;
  write_text(file, bytes);
}

}  // namespace

TEST_CASE("mirror copies the verified metadata and every target, blob and patch, and a re-run fetches nothing",
          "[mirror]") {
  MirrorFixture f;
  f.release("1.0.0");
  f.release("1.1.0");
  auto r = f.run();
  // targets/ is the source's, file for file and byte for byte (blobs and patches included).
  auto source_targets = snapshot_tree(f.repo() / "targets");
  CHECK(f.mirrored("targets") == source_targets);
  size_t blobs = 0;
  for (const auto& [path, bytes] : source_targets) blobs += contains(path, "/blobs/");
  CHECK(blobs >= 2);
  CHECK(r.files == source_targets.size());
  CHECK(r.fetched == r.files);
  CHECK(r.present == 0);
  CHECK(r.bytes_fetched == r.bytes_total);
  CHECK_FALSE(r.trusted_on_first_use);
  // The current metadata, exactly as the vendor signed it.
  auto ts = f.publisher.current_timestamp();
  for (std::string name : {std::string("1.root.json"), std::string("root.json"), std::string("timestamp.json"),
                           std::to_string(ts.snapshot.version) + ".snapshot.json",
                           std::to_string(f.publisher.current_targets().version) + ".targets.json"})
    CHECK(read_text(f.mirror / "metadata" / name) == read_text(f.meta(name)));
  CHECK(r.metadata_written == 5);
  CHECK(r.timestamp_version == ts.version);
  CHECK_FALSE(stdfs::exists(f.mirror / ".upkeep-mirror" / "tmp"));

  auto again = f.run();
  CHECK(again.fetched == 0);
  CHECK(again.present == r.files);
  CHECK(again.bytes_fetched == 0);
  CHECK(again.metadata_written == 0);
}

TEST_CASE("a mirror re-run fetches only new files and files whose hash is wrong", "[mirror]") {
  MirrorFixture f;
  f.release("1.0.0");
  auto first = f.run();
  f.release("1.1.0");
  // Damage one mirrored file: the next run fetches it again.
  std::string damaged;
  for (const auto& [path, bytes] : f.mirrored("targets"))
    if (contains(path, "package.zip")) damaged = path;
  REQUIRE_FALSE(damaged.empty());
  flip_byte(f.mirror / "targets" / damaged);
  auto r = f.run();
  CHECK(f.mirrored("targets") == snapshot_tree(f.repo() / "targets"));
  const size_t new_files = r.files - first.files;
  CHECK(new_files >= 3);  // package, files.json, delta.zst and the new blobs
  CHECK(r.fetched == new_files + 1);
  CHECK(r.present == first.files - 1);
}

TEST_CASE("a tampered source file fails the mirror run, naming it, and leaves the mirror as it was", "[mirror]") {
  MirrorFixture f;
  auto v1 = f.release("1.0.0");
  f.run();
  auto before = f.mirrored("metadata");
  auto v2 = f.release("1.1.0");
  flip_byte(v2.package_file);
  auto message = error_of([&] { f.run(); }, ErrorCode::kVerification);
  CHECK(contains(message, "target demo/1.1.0/linux-x86_64/" + v2.package_sha256 + ".package.zip"));
  CHECK(f.mirrored("metadata") == before);  // clients of the mirror still see 1.0.0's consistent repository
  CHECK_FALSE(stdfs::exists(f.mirror / "targets" / stdfs::relative(v2.package_file, f.repo() / "targets")));
  CHECK(snapshot_tree(f.mirror / ".upkeep-mirror" / "tmp").empty());  // no partial download left

  // Tampered metadata at the source: refused by the TUF client, nothing written.
  flip_byte(f.meta("timestamp.json"));
  message = error_of([&] { f.run(); }, ErrorCode::kVerification);
  CHECK(contains(message, "timestamp.json"));
  CHECK(f.mirrored("metadata") == before);
  (void)v1;
}

TEST_CASE("mirror copies the whole root chain, each older root checked against the next", "[mirror]") {
  MirrorFixture f;
  f.release("1.0.0");
  f.publisher.write_root_update(f.publisher.prepare_root_update(f.publisher.current_root()));
  f.publisher.write_root_update(f.publisher.prepare_root_update(f.publisher.current_root()));
  auto r = f.run();
  CHECK(r.root_version == 3);
  for (const char* name : {"1.root.json", "2.root.json", "3.root.json", "root.json"})
    CHECK(read_text(f.mirror / "metadata" / name) == read_text(f.meta(name)));

  // Started from a newer pinned root, the older ones come from the source, checked backwards.
  f.mirror = f.tmp / "mirror2";
  f.run(f.meta("3.root.json"));
  CHECK(read_text(f.mirror / "metadata" / "1.root.json") == read_text(f.meta("1.root.json")));
  // A damaged older root in the mirror is replaced by the source's.
  flip_byte(f.mirror / "metadata" / "1.root.json");
  auto again = f.run();
  CHECK(again.metadata_written == 1);
  CHECK(read_text(f.mirror / "metadata" / "1.root.json") == read_text(f.meta("1.root.json")));
}
