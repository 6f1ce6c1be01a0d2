// A real install root for applier tests: versions/1.0.0 is current and
// good, and versions can be staged as the stager would (files, signed
// manifest hash, listing digest). Shared by applier_test.cpp and
// applier_failed_tries_test.cpp.
#pragma once

#include <catch2/catch.hpp>
#include <memory>

#include "test_support.h"
#include "upkeep/base/hash.h"
#include "upkeep/install/applier.h"
#include "upkeep/install/manifest.h"
#include "upkeep/install/state_store.h"

namespace upkeep::test {

inline constexpr int kMaxFailures = 3;  // max_update_failures for these tests

struct Install {
  TempDir dir;
  Layout layout{dir.path()};
  std::unique_ptr<StateStore> store;

  Install() {
    stdfs::create_directories(layout.staging_dir());
    store = std::make_unique<StateStore>(layout.state_db());
    write_text(layout.version_dir("1.0.0") / "app.txt", "one");
    store->record_installed("1.0.0", write_manifest("1.0.0", layout.version_dir("1.0.0")));
    layout.switch_current("1.0.0");
  }

  // Writes manifests/<v>.json for `dir`; returns its SHA-256 (what the signed target says).
  std::string write_manifest(const std::string& v, const stdfs::path& dir) {
    std::string json = FileManifest::from_directory(dir, v).to_json();
    write_text(layout.manifest_file(v), json);
    return upkeep::sha256_hex(json);
  }

  void stage(const std::string& v, const std::string& content) {
    write_text(layout.staged_dir(v) / "app.txt", content);
    write_text(layout.staged_dir(v) / "lib/data.bin", "data of " + v);
    std::string sha = write_manifest(v, layout.staged_dir(v));
    store->record_staged(v, sha, FileManifest::from_directory(layout.staged_dir(v), v).listing_digest());
  }

  // A promoted version folder (as an earlier apply left it) with its manifest, recorded good.
  void add_installed(const std::string& v) {
    write_text(layout.version_dir(v) / "app.txt", v);
    store->record_installed(v, write_manifest(v, layout.version_dir(v)));
  }

  Applier applier() { return Applier(layout, *store, kMaxFailures); }

  VersionState state(const std::string& v) {
    auto r = store->get(v);
    REQUIRE(r.has_value());
    return r->state;
  }

  bool has_event(const std::string& kind, const std::string& version) {
    for (const auto& e : store->events(1000))
      if (e.kind == kind && e.version == version) return true;
    return false;
  }
};

}  // namespace upkeep::test
