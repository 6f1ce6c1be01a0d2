// `upkeep keys init|add|revoke|rotate-root|list`: the vendor's signing keys
// and the root metadata that lists them (docs/key-management.md).
#include <cstdio>
#include <filesystem>
#include <optional>

#include "commands.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/publish/key_manager.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/publish/repository_publisher.h"
#include "upkeep/repository/repository_layout.h"

namespace upkeep::cli {

namespace {

CommandLine keys_command_line() {
  CommandLine c("upkeep keys",
                "init         creates one signing key per TUF role (root in DIR/offline,\n"
                "             targets, snapshot and timestamp in DIR/online; folders 0700,\n"
                "             key files 0600) and a new repository whose version 1 root is\n"
                "             signed by the root key. Never overwrites keys or a repository.\n"
                "add          adds a new key to ROLE (root, targets, snapshot, timestamp).\n"
                "revoke       removes the key KEYID (or an unambiguous prefix of at least 8\n"
                "             hex digits) from ROLE and deletes its private key (a root key is\n"
                "             kept as DIR/offline/root.<id16>.retired.key); refuses to leave\n"
                "             fewer keys than the threshold.\n"
                "rotate-root  replaces every root key with N new ones; the old root private\n"
                "             keys are kept as DIR/offline/root.<id16>.retired.key until you\n"
                "             destroy them.\n"
                "list         shows each role's threshold and keys, and which private keys\n"
                "             are in the key folder.\n"
                "add, revoke and rotate-root publish root version N+1, signed by a threshold\n"
                "of the current root keys and of the new ones (the offline root keys must be\n"
                "in DIR/offline), and re-sign the metadata of a role whose keys changed.");
  c.usage(
       "upkeep keys init --app-id ID [--type T] [--expires ROLE=DURATION] [--keys DIR] [--repo DIR]\n"
       "upkeep keys add ROLE [--type T] [--threshold N] [--keys DIR] [--repo DIR]\n"
       "upkeep keys revoke ROLE KEYID [--threshold N] [--keys DIR] [--repo DIR]\n"
       "upkeep keys rotate-root [--type T] [--count N] [--threshold N] [--keys DIR] [--repo DIR]\n"
       "upkeep keys list [--keys DIR] [--repo DIR]")
      .arguments("SUBCOMMAND [ARGS]", "init, add ROLE, revoke ROLE KEYID, rotate-root or list", 1, 3)
      .option("app-id", "ID", "application id (letters, digits, '.', '_', '-')")
      .option("type", "T", "key type: ed25519 (default), ecdsa (P-256) or rsa (3072 bits)")
      .option("threshold", "N", "signatures the role needs (default: unchanged; 1 for rotate-root)")
      .option("count", "N", "number of new root keys (rotate-root, default 1)")
      .repeated("expires", "R=D",
                "metadata lifetime per role, saved in DIR/vendor.json, e.g. timestamp=12h,snapshot=14d (D is days, "
                "Nd or Nh). Defaults: root 365d, targets 90d, snapshot 7d, timestamp 1d")
      .option("keys", "DIR", "key folder, default ./keys")
      .option("repo", "DIR", "repository folder, default ./repo");
  return c;
}

publish::Expiries expiries_from(const ParsedArgs& cli, publish::Expiries base) {
  for (const auto& text : cli.values("expires")) base = publish::apply_expiry_overrides(text, base);
  return base;
}

std::optional<int64_t> threshold_of(const ParsedArgs& cli) {
  if (!cli.value("threshold")) return std::nullopt;
  return cli.int_value_or("threshold", 1, 1, 64);
}

tuf::KeyType type_of(const ParsedArgs& cli) { return tuf::parse_key_type(cli.value_or("type", "ed25519")); }

void print_change(const char* what, const std::string& role, const publish::KeyChange& change) {
  for (const auto& id : change.added) std::printf("added %s key %s\n", role.c_str(), id.c_str());
  for (const auto& id : change.removed) std::printf("removed %s key %s\n", role.c_str(), id.c_str());
  for (const auto& path : change.retired)
    std::printf(
        "kept the removed root private key as %s: clients no longer trust it; destroy it when you no longer "
        "need it\n",
        path.c_str());
  std::printf("%s: published root version %lld (%s threshold %lld)", what,
              static_cast<long long>(change.update.root_version), role.c_str(),
              static_cast<long long>(change.threshold));
  if (!change.update.resigned.empty()) {
    std::printf("; re-signed");
    for (const auto& r : change.update.resigned) std::printf(" %s", r.c_str());
  }
  std::printf("\n");
}

int keys_init(const ParsedArgs& cli, const std::filesystem::path& keys_dir, const std::filesystem::path& repo_dir) {
  auto app_id = cli.value("app-id");
  if (!app_id) fail(ErrorCode::kUsage, "keys init: missing --app-id ID (upkeep keys --help lists the options)");
  publish::validate_app_id(*app_id);
  const publish::Expiries expiries = expiries_from(cli, {});
  const tuf::KeyType type = type_of(cli);
  // Check the repository first so a refusal leaves no new keys behind.
  if (publish::RepositoryPublisher::is_initialized(repo_dir))
    fail(ErrorCode::kExists,
         RepositoryLayout::metadata_dir(repo_dir).string() + " already holds a repository; refusing to replace it");
  publish::KeyStore store = publish::KeyStore::create(keys_dir, *app_id, type, expiries);
  publish::RepositoryPublisher publisher(repo_dir, store, store.expiries());
  publisher.initialize();
  std::printf("created %s signing keys in %s: keep %s offline; %s signs releases and metadata\n",
              tuf::key_type_name(type), keys_dir.c_str(), store.folder(tuf::kRootRole).c_str(),
              store.folder(tuf::kTimestampRole).c_str());
  std::printf("created repository %s for %s (root version 1)\n", repo_dir.c_str(), app_id->c_str());
  return 0;
}

int keys_list(publish::KeyManager& km) {
  for (const auto& role : km.describe()) {
    std::printf("%s (threshold %lld):\n", role.role.c_str(), static_cast<long long>(role.threshold));
    for (const auto& k : role.keys)
      std::printf("  %s  %-19s %s\n", k.key_id.c_str(), k.keytype.c_str(),
                  k.private_key_present ? "private key here" : "private key not in this key folder");
  }
  return 0;
}

}  // namespace

int cmd_keys(const Args& args) {
  const ParsedArgs cli = keys_command_line().parse(args);
  const auto& pos = cli.positional();
  const std::string sub = pos.empty() ? "" : pos.front();
  const std::filesystem::path keys_dir = cli.value_or("keys", "keys");
  const std::filesystem::path repo_dir = cli.value_or("repo", "repo");
  const size_t expected_args = sub == "add" ? 2 : sub == "revoke" ? 3 : 1;
  if (sub != "init" && sub != "add" && sub != "revoke" && sub != "rotate-root" && sub != "list")
    fail(ErrorCode::kUsage, "expected a subcommand: init, add, revoke, rotate-root or list, got '" + sub + "'");
  if (pos.size() != expected_args)
    fail(ErrorCode::kUsage, "keys " + sub + ": expected " +
                                (sub == "add"      ? std::string("ROLE")
                                 : sub == "revoke" ? "ROLE KEYID"
                                                   : "no arguments") +
                                " (upkeep keys --help lists them)");
  if (sub == "init") return keys_init(cli, keys_dir, repo_dir);

  publish::KeyStore store = publish::KeyStore::open(keys_dir);
  publish::RepositoryPublisher publisher(repo_dir, store, expiries_from(cli, store.expiries()));
  publish::KeyManager km(store, publisher);
  if (sub == "list") return keys_list(km);
  if (sub == "add") {
    print_change("keys add", pos[1], km.add_key(pos[1], type_of(cli), threshold_of(cli)));
  } else if (sub == "revoke") {
    print_change("keys revoke", pos[1], km.revoke_key(pos[1], pos[2], threshold_of(cli)));
  } else {
    int count = static_cast<int>(cli.int_value_or("count", 1, 1, 16));
    print_change("keys rotate-root", tuf::kRootRole,
                 km.rotate_root(type_of(cli), count, cli.int_value_or("threshold", 1, 1, 16)));
  }
  return 0;
}

}  // namespace upkeep::cli
