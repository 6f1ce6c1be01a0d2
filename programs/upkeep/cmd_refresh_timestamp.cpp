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
                "expiry (default 1 day, or the timestamp lifetime in DIR/vendor.json). Run it\n"
                "from cron well within that lifetime, e.g. every hour. Only the online\n"
                "timestamp key in DIR/online is used.");
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
  int64_t version = publisher.refresh_timestamp();
  std::printf("timestamp version %lld, expires %s\n", static_cast<long long>(version),
              tuf::format_time(publisher.current_timestamp().expires).c_str());
  return 0;
}

}  // namespace upkeep::cli
