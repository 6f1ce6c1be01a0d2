// `upkeep quarantine`: lists the update versions an install has
// quarantined, and clears one so that it is offered again (an
// administrator's decision after a release was fixed or a fault outside it
// was). The rule of what is a failed try is install/quarantine.h.
#include <algorithm>
#include <cstdio>

#include "commands.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/install/layout.h"
#include "upkeep/install/quarantine.h"
#include "upkeep/install/state_recovery.h"
#include "upkeep/install/state_store.h"
#include "upkeep/policy/config.h"

namespace upkeep::cli {
namespace {

CommandLine quarantine_command_line() {
  CommandLine c("upkeep quarantine",
                "list (the default) shows the update versions this install quarantined after\n"
                "max_update_failures failed tries (evidence against the release: its verified\n"
                "package did not extract or its staged files did not match their manifest).\n"
                "clear VERSION offers that version again: its failure count goes back to 0,\n"
                "and the event is recorded. Network and local faults are never counted.");
  c.usage("upkeep quarantine --app-id ID [--system] | --prefix DIR [--json] [list | clear VERSION]")
      .arguments("ACTION", "list, or clear VERSION", 0, 2);
  add_install_root_options(c);
  c.flag("json", "print the result as one JSON object")
      .footer(
          "Exit codes: 0 done; 2 bad command line; 9 nothing installed there or VERSION\n"
          "is not quarantined; 12 a per-machine install needs root to clear.");
  return c;
}

Json quarantined_json(const StateStore& store) {
  Json list = Json::array();
  for (const auto& r : store.in_state(VersionState::kQuarantined)) {
    Json v = Json::object();
    v["version"] = r.version;
    v["reason"] = r.reason;
    v["since"] = r.updated_at;
    v["failures"] = static_cast<int64_t>(store.failure_count(r.version));
    list.push_back(v);
  }
  return list;
}

int list(const Layout& layout, bool json) {
  StateStore store(layout.state_db(), StateStore::Mode::kReadOnly);
  Json q = quarantined_json(store);
  if (json) {
    Json j = Json::object();
    add_install_json(j, layout);
    j["quarantined"] = q;
    std::printf("%s\n", j.dump(0).c_str());
  } else if (q.as_array().empty()) {
    std::printf("%s: no quarantined version\n", layout.root().c_str());
  } else {
    for (const auto& v : q.as_array())
      std::printf("%s  quarantined  (%s)\n", v.get_string("version").c_str(), v.get_string("reason").c_str());
  }
  return 0;
}

int clear(const Layout& layout, const std::string& version, bool json) {
  if (!layout.writable_by_this_process()) layout.fail_not_writable("quarantine clear");
  const Config config = Config::load(layout.config_file());
  StateStore store = StateRecovery(layout).open();
  Quarantine(store, config.max_update_failures).clear(version, "an administrator (upkeep quarantine clear)");
  if (json) {
    Json j = Json::object();
    add_install_json(j, layout);
    j["cleared"] = version;
    j["quarantined"] = quarantined_json(store);
    std::printf("%s\n", j.dump(0).c_str());
  } else {
    std::printf("%s: quarantine of %s cleared; the next check offers it again\n", layout.root().c_str(),
                version.c_str());
  }
  return 0;
}

int run(const ParsedArgs& args) {
  const auto& words = args.positional();
  const std::string action = words.empty() ? "list" : words[0];
  if (action != "list" && action != "clear")
    fail(ErrorCode::kUsage, "unknown action '" + action + "' (expected list or clear VERSION)");
  if (action == "list" && words.size() > 1) fail(ErrorCode::kUsage, "quarantine list takes no VERSION");
  if (action == "clear" && words.size() != 2) fail(ErrorCode::kUsage, "quarantine clear needs one VERSION");
  const Layout layout(std::filesystem::absolute(install_root_from(args, "quarantine")));
  if (!std::filesystem::exists(layout.state_db()))
    fail(ErrorCode::kNotFound, layout.root().string() + ": no install there (no state.db)");
  return action == "list" ? list(layout, args.flag("json")) : clear(layout, words[1], args.flag("json"));
}

}  // namespace

int cmd_quarantine(const Args& argv) { return run(quarantine_command_line().parse(argv)); }

}  // namespace upkeep::cli
