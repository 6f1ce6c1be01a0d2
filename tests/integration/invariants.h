// InstallInvariants: what must hold in an install root after any crash once
// the launcher has started again (issue #4): `current` names a folder in
// versions/ that is one of the expected versions and matches its manifest
// file by file, state.db passes PRAGMA integrity_check and agrees with the
// files, and staging/ holds no leftover except downloads of a newer version
// (*.package.zip, *.part), which a later check resumes.
//
// check_invariants() only reads: it opens state.db read-only and never
// changes the root. It returns the list of violations, each naming the file,
// record or link that is wrong and what was expected (empty: all hold), so a
// test can show every problem at once. Call it from the test thread while no
// launcher or stager runs on that root.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "upkeep/base/version.h"
#include "upkeep/install/layout.h"
#include "upkeep/install/manifest.h"
#include "upkeep/install/state_store.h"
#include "upkeep/platform/fs.h"

namespace upkeep::test {

struct InvariantOptions {
  std::set<std::string> allowed_current;  // the versions `current` may name (old or new)
  bool require_current_good = true;       // after a completed start: current's record is "good"
  bool require_clean_staging = true;      // after a successful start: staging holds only *.part
};

inline std::vector<std::string> check_invariants(const std::filesystem::path& root, const InvariantOptions& opt) {
  namespace stdfs = std::filesystem;
  std::vector<std::string> problems;
  Layout layout(root);

  // 1. `current` points at a folder in versions/ and is one of the allowed versions.
  auto current = layout.current_version();
  if (!current) {
    std::error_code ec;
    auto target = stdfs::read_symlink(layout.current_link(), ec);
    problems.push_back("current: expected a symlink to versions/<v>, found " +
                       (ec ? std::string("no readable link (") + ec.message() + ")" : "'" + target.string() + "'"));
  } else {
    if (!opt.allowed_current.count(*current)) {
      std::string allowed;
      for (const auto& v : opt.allowed_current) allowed += (allowed.empty() ? "" : " or ") + v;
      problems.push_back("current: points at " + *current + ", expected " + allowed);
    }
    if (!stdfs::is_directory(layout.version_dir(*current))) {
      problems.push_back("current: " + layout.version_dir(*current).string() + " is not a directory");
    } else {
      // 2. Every file of the current version matches its manifest (content included).
      try {
        FileManifest::parse(fs::read_file(layout.manifest_file(*current)), layout.manifest_file(*current).string())
            .verify_directory(layout.version_dir(*current), FileManifest::Depth::kFull);
      } catch (const std::exception& e) {
        problems.push_back("versions/" + *current + " does not match manifests/" + *current + ".json: " + e.what());
      }
    }
  }

  // 3. The database is sound and agrees with the files.
  try {
    StateStore store(layout.state_db(), StateStore::Mode::kReadOnly);
    std::string integrity = store.integrity_check();
    if (integrity != "ok") problems.push_back("state.db: PRAGMA integrity_check said: " + integrity);
    if (auto j = store.journal())
      problems.push_back("state.db: journal row left for " +
                         std::string(j->op == JournalOp::kApply ? "apply" : "rollback") + " of " + j->version +
                         " (from " + j->from_version + "), expected none");
    if (current && opt.require_current_good) {
      auto r = store.get(*current);
      if (!r)
        problems.push_back("state.db: no record for current version " + *current + ", expected state good");
      else if (r->state != VersionState::kGood)
        problems.push_back("state.db: current version " + *current + " is " + version_state_name(r->state) +
                           ", expected good");
    }
    for (const auto& r : store.in_state(VersionState::kStaged))
      if (!stdfs::is_directory(layout.staged_dir(r.version)))
        problems.push_back("state.db: " + r.version + " recorded staged but " + layout.staged_dir(r.version).string() +
                           " is missing");
    for (const auto& r : store.all())
      if ((r.state == VersionState::kGood || r.state == VersionState::kTrial) &&
          !stdfs::is_directory(layout.version_dir(r.version)))
        problems.push_back("state.db: " + r.version + " is " + version_state_name(r.state) + " but " +
                           layout.version_dir(r.version).string() + " is missing");
  } catch (const std::exception& e) {
    problems.push_back("state.db: cannot be read: " + std::string(e.what()));
  }

  // 4. No staging leftover except downloads of a version newer than current (they resume).
  if (opt.require_clean_staging) {
    std::error_code ec;
    for (const auto& e : stdfs::directory_iterator(layout.staging_dir(), ec)) {
      std::string name = e.path().filename().string();
      auto v = Layout::download_version(name);
      if (v && current && Version::parse(*v) && Version::parse(*current) &&
          Version::parse(*v)->compare(*Version::parse(*current)) > 0)
        continue;
      problems.push_back("staging: leftover '" + name + "', expected only downloads of versions newer than current");
    }
  }
  return problems;
}

}  // namespace upkeep::test
