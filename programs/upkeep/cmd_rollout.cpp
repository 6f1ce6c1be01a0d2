// `upkeep rollout --version V --percent P`: raises (or lowers) the share of
// installations a published release is offered to, without a new version.
// It sets the package target's custom.rollout and re-signs targets,
// snapshot and timestamp (RepositoryPublisher::set_rollout).
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/publish/repository_publisher.h"

namespace upkeep::cli {

namespace {

CommandLine rollout_command_line() {
  CommandLine c("upkeep rollout",
                "Offers the published release V to P percent of the installations (0-100)\n"
                "by re-signing its target with the new rollout, then snapshot and timestamp.\n"
                "Each installation keeps a random bucket of its own; raising P only adds\n"
                "installations, lowering it holds back those that have not updated yet.\n"
                "Manual checks (mainapp/upkeep-updater --check-now) and critical releases\n"
                "ignore the rollout.");
  c.usage("upkeep rollout --version V --percent P [options]")
      .option("version", "V", "the released version")
      .option("percent", "P", "0 to 100");
  add_repository_options(c);
  c.option("app-id", "ID", "application id, default the one in DIR/vendor.json")
      .option("platform", "P", "default the build's (e.g. linux-x86_64)")
      .flag("json", "print the result as one JSON object");
  return c;
}

}  // namespace

int cmd_rollout(const Args& args) {
  const ParsedArgs cli = rollout_command_line().parse(args);
  auto version = cli.value("version");
  if (!version || !cli.value("percent"))
    fail(ErrorCode::kUsage, "needs --version V and --percent P (upkeep rollout --help lists the options)");
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
