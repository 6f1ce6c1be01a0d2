// `upkeep refresh-timestamp [--keys DIR] [--repo DIR] [--expires timestamp=D]`:
// re-signs timestamp.json with a fresh expiry, for a cron job, so clients
// never see an expired timestamp (a freeze) while nothing is released.
// Needs only the online timestamp key: the offline folder may be absent.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
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
  c.usage("upkeep refresh-timestamp [--keys DIR] [--repo DIR] [--expires timestamp=D]");
  add_repository_options(c);
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
  for (const std::string& role : r.resigned)
    if (role != tuf::kTimestampRole) {
      const int64_t v = role == tuf::kTargetsRole ? r.versions.targets : r.versions.snapshot;
      const std::time_t expires =
          role == tuf::kTargetsRole ? publisher.current_targets().expires : publisher.current_snapshot().expires;
      std::printf("%s version %lld (less than half its lifetime was left), expires %s\n", role.c_str(),
                  static_cast<long long>(v), tuf::format_time(expires).c_str());
    }
  std::printf("timestamp version %lld, expires %s\n", static_cast<long long>(r.versions.timestamp),
              tuf::format_time(publisher.current_timestamp().expires).c_str());
  return 0;
}

}  // namespace upkeep::cli
