// `upkeep rollout --version V --percent P`: raises (or lowers) the share of
// installations a published release is offered to, without a new version.
// It sets the package target's custom.rollout and re-signs targets,
// snapshot and timestamp (RepositoryPublisher::set_rollout).
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "upkeep/base/cli_args.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/publish/repository_publisher.h"

namespace upkeep::cli {

namespace {

const char* kRolloutUsage =
    "usage: upkeep rollout --version V --percent P [options]\n"
    "\n"
    "Offers the published release V to P percent of the installations (0-100)\n"
    "by re-signing its target with the new rollout, then snapshot and timestamp.\n"
    "Each installation keeps a random bucket of its own; raising P only adds\n"
    "installations, lowering it holds back those that have not updated yet.\n"
    "Manual checks (mainapp/upkeep-updater --check-now) and critical releases\n"
    "ignore the rollout.\n"
    "\n"
    "  --version V    the released version\n"
    "  --percent P    0 to 100\n"
    "  --keys DIR     key folder, default ./keys (the online targets, snapshot\n"
    "                 and timestamp keys are used)\n"
    "  --repo DIR     repository folder, default ./repo\n"
    "  --app-id ID    application id, default the one in DIR/vendor.json\n"
    "  --platform P   default the build's (e.g. linux-x86_64)\n"
    "  --expires R=D  metadata lifetime override per role, e.g. targets=30d\n"
    "  --json         print the result as one JSON object\n";

}  // namespace

int cmd_rollout(const Args& args) {
  CliArgs cli(args, {.flags = {"help", "json"},
                     .values = {"version", "percent", "keys", "repo", "app-id", "platform"},
                     .multi = {"expires"},
                     .max_positional = 0});
  if (cli.flag("help")) {
    std::fputs(kRolloutUsage, stdout);
    return 0;
  }
  auto version = cli.value("version");
  if (!version || !cli.value("percent"))
    fail(ErrorCode::kUsage, std::string("rollout: needs --version V and --percent P\n\n") + kRolloutUsage);
  const int percent = static_cast<int>(cli.int_value_or("percent", 100, 0, 100));

  publish::KeyStore store = publish::KeyStore::open(cli.value_or("keys", "keys"));
  const std::string app_id = cli.value_or("app-id", store.app_id());
  const std::string platform = cli.value_or("platform", build_platform());
  publish::Expiries expiries = store.expiries();
  for (const auto& text : cli.values("expires")) expiries = publish::apply_expiry_overrides(text, expiries);
  publish::RepositoryPublisher publisher(cli.value_or("repo", "repo"), store, expiries);
  const int64_t before = publisher.set_rollout(app_id, *version, platform, percent);
  const auto timestamp = publisher.current_timestamp();
  if (cli.flag("json")) {
    Json j = Json::object();
    j["app_id"] = app_id;
    j["version"] = *version;
    j["platform"] = platform;
    j["previous_percent"] = before;
    j["percent"] = percent;
    j["timestamp_version"] = timestamp.version;
    std::printf("%s\n", j.dump(0).c_str());
  } else {
    std::printf("%s %s (%s): rollout %lld%% -> %d%%; timestamp version %lld\n", app_id.c_str(), version->c_str(),
                platform.c_str(), static_cast<long long>(before), percent, static_cast<long long>(timestamp.version));
  }
  return 0;
}

}  // namespace upkeep::cli
