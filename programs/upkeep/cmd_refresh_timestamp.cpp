// `upkeep refresh-timestamp [--keys DIR] [--repo DIR] [--expires timestamp=D]`:
// re-signs timestamp.json with a fresh expiry, for a cron job, so clients
// never see an expired timestamp (a freeze) while nothing is released.
// Needs only the online timestamp key: the offline folder may be absent.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "upkeep/base/cli_args.h"
#include "upkeep/base/error.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/publish/repository_publisher.h"
#include "upkeep/tuf/metadata.h"

namespace upkeep::cli {

namespace {

const char* kRefreshUsage =
    "usage: upkeep refresh-timestamp [--keys DIR] [--repo DIR] [--expires timestamp=D]\n"
    "\n"
    "Re-signs the repository's timestamp.json as the next version with a fresh\n"
    "expiry (default 1 day, or the timestamp lifetime in DIR/vendor.json). Run it\n"
    "from a timer well within that lifetime: every 6 hours, with the systemd\n"
    "units or the cron line of docs/hosting.md (\"Refresh the timestamp\"); then\n"
    "upload timestamp.json if the repository is served from elsewhere. Only the\n"
    "online timestamp key in DIR/online is used. `upkeep doctor URL` checks it.\n"
    "\n"
    "  --keys DIR     key folder, default ./keys\n"
    "  --repo DIR     repository folder, default ./repo\n"
    "  --expires R=D  lifetime override, e.g. timestamp=12h (D is days, Nd or Nh)\n";

}  // namespace

int cmd_refresh_timestamp(const Args& args) {
  CliArgs cli(args, {.flags = {"help"}, .values = {"keys", "repo"}, .multi = {"expires"}, .max_positional = 0});
  if (cli.flag("help")) {
    std::fputs(kRefreshUsage, stdout);
    return 0;
  }
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
