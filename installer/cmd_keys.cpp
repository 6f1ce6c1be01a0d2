// `upkeep keys init [--keys DIR] [--repo DIR] --app-id ID`: creates the
// vendor's signing keys and a new, valid, empty repository signed by them.
#include <cstdio>
#include <filesystem>

#include "cli_args.h"
#include "commands.h"
#include "error.h"
#include "vendor/key_store.h"
#include "vendor/repository_publisher.h"

namespace upkeep::cli {

namespace {

const char* kKeysUsage =
    "usage: upkeep keys init --app-id ID [--keys DIR] [--repo DIR]\n"
    "\n"
    "Creates one ed25519 signing key per TUF role (root, targets, snapshot,\n"
    "timestamp) in DIR (mode 0700, key files 0600) and a new repository whose\n"
    "version 1 root is signed by the root key. Never overwrites existing keys\n"
    "or an existing repository.\n"
    "\n"
    "  --app-id ID  application id (letters, digits, '.', '_', '-')\n"
    "  --keys DIR   key folder, default ./keys\n"
    "  --repo DIR   repository folder, default ./repo\n";

}  // namespace

int cmd_keys(const Args& args) {
  CliArgs cli(args, {.flags = {"help"}, .values = {"keys", "repo", "app-id"}, .max_positional = 1});
  if (cli.flag("help")) {
    std::fputs(kKeysUsage, stdout);
    return 0;
  }
  if (cli.positional().empty() || cli.positional().front() != "init")
    fail(ErrorCode::kUsage, std::string("keys: expected the subcommand 'init'\n\n") + kKeysUsage);
  auto app_id = cli.value("app-id");
  if (!app_id) fail(ErrorCode::kUsage, std::string("keys init: missing --app-id ID\n\n") + kKeysUsage);
  const std::filesystem::path keys_dir = cli.value_or("keys", "keys");
  const std::filesystem::path repo_dir = cli.value_or("repo", "repo");

  vendor::validate_app_id(*app_id);
  // Check the repository first so a refusal leaves no new keys behind.
  if (vendor::RepositoryPublisher::is_initialized(repo_dir))
    fail(ErrorCode::kExists, (repo_dir / "metadata").string() + " already holds a repository; refusing to replace it");
  vendor::KeyStore store = vendor::KeyStore::create(keys_dir, *app_id);
  vendor::RepositoryPublisher publisher(repo_dir, store);
  publisher.initialize();
  std::printf("created signing keys in %s (keep root.key offline)\n", keys_dir.c_str());
  std::printf("created repository %s for %s (root version 1)\n", repo_dir.c_str(), app_id->c_str());
  return 0;
}

}  // namespace upkeep::cli
