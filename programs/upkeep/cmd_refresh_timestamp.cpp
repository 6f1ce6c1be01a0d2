// `upkeep refresh-timestamp [--keys DIR] [--repo DIR] [--expires ROLE=D] [--json]`:
// re-signs timestamp.json with a fresh expiry, for a timer, so clients never
// see expired metadata (a freeze) while nothing is released; snapshot and
// targets too once half their lifetime is gone (RepositoryPublisher::
// refresh_timestamp). Needs only the online keys: the offline folder may be absent.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/publish/repository_publisher.h"
#include "upkeep/tuf/metadata.h"

namespace upkeep::cli {

namespace {

CommandLine refresh_command_line() {
  CommandLine c("upkeep refresh-timestamp",
                "Re-signs the repository's timestamp.json as the next version with a fresh\n"
                "expiry (default 1 day, or the timestamp lifetime in DIR/vendor.json), and\n"
                "snapshot (7 days) and targets (90 days) once less than half their lifetime\n"
                "is left, when their keys are in DIR/online (else only the timestamp). Run it\n"
                "from a timer well within the timestamp's lifetime, e.g. every 6 hours; upload\n"
                "the metadata folder after it, timestamp.json last.");
  c.usage("upkeep refresh-timestamp [--keys DIR] [--repo DIR] [--expires ROLE=D] [--json]");
  add_repository_options(c);
  c.flag("json", "print the result as one JSON object");
  return c;
}

}  // namespace

int cmd_refresh_timestamp(const Args& args) {
  const ParsedArgs cli = refresh_command_line().parse(args);
  publish::KeyStore store = publish::KeyStore::open(cli.value_or("keys", "keys"));
  publish::Expiries expiries = store.expiries();
  for (const auto& text : cli.values("expires")) expiries = publish::apply_expiry_overrides(text, expiries);
  publish::RepositoryPublisher publisher(cli.value_or("repo", "repo"), store, expiries);
  const publish::RefreshedMetadata r = publisher.refresh_timestamp();
  if (cli.flag("json")) {
    Json roles = Json::array();
    for (const auto& signed_role : r.resigned) {
      Json j = Json::object();
      j["role"] = signed_role.role;
      j["version"] = signed_role.version;
      j["expires"] = tuf::format_time(signed_role.expires);
      roles.push_back(std::move(j));
    }
    Json out = Json::object();
    out["resigned"] = std::move(roles);
    std::printf("%s\n", out.dump(0).c_str());
    return 0;
  }
  for (const auto& signed_role : r.resigned)
    std::printf("%s version %lld, expires %s%s\n", signed_role.role.c_str(),
                static_cast<long long>(signed_role.version), tuf::format_time(signed_role.expires).c_str(),
                signed_role.role == tuf::kTimestampRole ? "" : " (less than half its lifetime was left)");
  return 0;
}

}  // namespace upkeep::cli
