// ConfigRepair: `upkeep repair` rewrites a damaged or missing config.json
// from what the install can trust, before it checks the current version.
//
// Sources, each over the one before:
//   1. the defaults, with the platform this program was built for;
//   2. the copy of the last good config.json in state.db (meta "config"),
//      recorded by the installer, by every update check that verified the
//      repository's signed metadata with it, and by this repair;
//   3. each key of the damaged file that is right on its own (a typo in
//      one value loses only that value; keys of a newer version stay);
//   4. the app id that named the install (--app-id) or, failing that, the
//      launcher's own name in the root; the repository URL given
//      with --repository.
// The app id and the repository URL are required: when no source holds
// one, run() fails with Error(kNotFound) naming what is missing and how
// to give it. A config.json that loads is left as it is. The file is
// written atomically (Config::save), then recorded in state.db.
// One thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "upkeep/install/layout.h"

namespace upkeep::admin {

struct ConfigRepairResult {
  bool rewritten = false;
  std::string damage;                // what was wrong with the file ("" when it was fine)
  std::vector<std::string> dropped;  // "key: why" for each value of the damaged file that was wrong
  std::vector<std::string> sources;  // where the rewritten file's values came from
};

class ConfigRepair {
 public:
  ConfigRepair(const Layout& layout, std::optional<std::string> app_id, std::optional<std::string> repository)
      : layout_(layout), app_id_(std::move(app_id)), repository_(std::move(repository)) {}

  ConfigRepairResult run() const;

 private:
  // The launcher in the root: the one executable file that is not upkeep-updater.
  std::optional<std::string> launcher_name() const;

  const Layout& layout_;
  std::optional<std::string> app_id_;
  std::optional<std::string> repository_;
};

}  // namespace upkeep::admin
