// upkeep-tuf-client: the library's TUF client workflow (tuf::Client) behind
// the command-line interface that TUF conformance test suites drive:
//
//   upkeep-tuf-client --metadata-dir DIR init TRUSTED_ROOT
//   upkeep-tuf-client --metadata-dir DIR --metadata-url URL refresh
//   upkeep-tuf-client --metadata-dir DIR --metadata-url URL --target-name PATH [--target-name PATH ...]
//                     --target-base-url URL --target-dir DIR download
//
// Exit status 0 on full success, 2 on a bad command line, 1 on any other
// failure (diagnostics on stderr).
// Metadata lives in DIR under plain names (root.json, timestamp.json, ...,
// delegated roles as tuf::role_file_name(ROLE)). A downloaded target is
// stored in the target dir as tuf::safe_file_name(PATH): the target path
// percent-encoded into one file name ("a/b.txt" -> "a%2Fb.txt"), so the
// same target always gets the same file and no path can leave the folder.
// Time comes from the C library's time(), so time-faking tools apply.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/base/logging.h"
#include "upkeep/base/trailing_slash.h"
#include "upkeep/net/fetcher_factory.h"
#include "upkeep/platform/fs.h"
#include "upkeep/tuf/metadata.h"
#include "upkeep/tuf/role_names.h"
#include "upkeep/tuf/tuf_client.h"

namespace {

namespace stdfs = std::filesystem;
using namespace upkeep;

CommandLine tuf_client_command_line() {
  CommandLine c("upkeep-tuf-client",
                "The library's TUF client workflow behind the command-line interface TUF\n"
                "conformance test suites drive: init trusts a root, refresh updates the\n"
                "metadata, download fetches targets into DIR.");
  c.usage(
       "upkeep-tuf-client --metadata-dir DIR init TRUSTED_ROOT\n"
       "upkeep-tuf-client --metadata-dir DIR --metadata-url URL refresh\n"
       "upkeep-tuf-client --metadata-dir DIR --metadata-url URL --target-name PATH [--target-name PATH ...]\n"
       "                  --target-base-url URL --target-dir DIR download")
      .arguments("COMMAND [TRUSTED_ROOT]", "init TRUSTED_ROOT, refresh or download", 1, 2)
      .option("metadata-dir", "DIR", "the trusted metadata, under plain names (root.json, ...)")
      .option("metadata-url", "URL", "the repository's metadata")
      .repeated("target-name", "PATH", "a target to download; again for more")
      .option("target-base-url", "URL", "where targets are")
      .option("target-dir", "DIR", "where downloaded targets go, as one percent-encoded file name each")
      .footer("Exit status: 0 on full success, 2 bad command line, 1 any other failure.");
  return c;
}

void say(const std::string& message) { std::fprintf(stderr, "upkeep-tuf-client: %s\n", message.c_str()); }

std::string required(const ParsedArgs& args, const std::string& name) {
  auto v = args.value(name);
  if (!v || v->empty()) fail(ErrorCode::kUsage, "option --" + name + " is required for this command");
  return *v;
}

int init(const ParsedArgs& args) {
  if (args.positional().size() != 2) fail(ErrorCode::kUsage, "init expects one argument: TRUSTED_ROOT");
  const stdfs::path dir = required(args, "metadata-dir");
  const stdfs::path source = args.positional()[1];
  std::string text = fs::read_file(source, 512u << 10);
  tuf::Envelope::parse(text, source.string());  // a readable metadata file; trusted as given
  fs::create_directories_durable(dir);
  fs::write_file_atomic(dir / "root.json", text);
  say("trusted root copied to " + (dir / "root.json").string());
  return 0;
}

void refresh(tuf::Client& client) {
  client.refresh();
  say("refreshed: root v" + std::to_string(client.root()->version) + ", timestamp v" +
      std::to_string(client.timestamp_version()) + ", snapshot v" + std::to_string(client.snapshot_version()) +
      ", targets v" + std::to_string(client.targets_version()));
}

// A file already in the target folder counts only with the right length and
// every listed supported hash matching (at least one must be supported).
bool already_downloaded(const stdfs::path& file, const tuf::TargetFile& t) {
  std::error_code ec;
  if (!stdfs::is_regular_file(file, ec) || stdfs::file_size(file, ec) != t.length || ec) return false;
  bool matched = false;
  for (const auto& [name, hex] : t.hashes) {
    HashAlgorithm alg;
    if (!parse_hash_algorithm(name, alg)) continue;
    if (hash_file_hex(file, alg) != hex) return false;
    matched = true;
  }
  return matched;
}

void download_one(tuf::Client& client, net::Fetcher& fetcher, const std::string& path, const stdfs::path& dir) {
  auto t = client.target_info(path);
  if (!t) fail(ErrorCode::kNotFound, "target '" + path + "': no trusted targets metadata lists it");
  const std::string name = tuf::safe_file_name(t->path);
  const stdfs::path dest = dir / name;
  if (already_downloaded(dest, *t)) {
    say("target '" + path + "': " + dest.string() + " is up to date");
    return;
  }
  const std::string url = client.target_url(*t);
  // Safe file names never start with '.', so this cannot be another target's file.
  const stdfs::path tmp = dir / ("." + name + ".download");
  auto part = tmp;
  part += ".part";
  auto clean = [&] {
    std::error_code ec;
    stdfs::remove(tmp, ec);
    stdfs::remove(part, ec);
  };
  clean();
  try {
    if (!t->sha256().empty()) {
      // Streams to disk with the length and SHA-256 checked on the way; then the other hashes.
      fetcher.download(url, tmp, t->length, t->sha256(), nullptr);
      for (const auto& [alg_name, hex] : t->hashes) {
        HashAlgorithm alg;
        if (alg_name == "sha256" || !parse_hash_algorithm(alg_name, alg)) continue;
        std::string actual = hash_file_hex(tmp, alg);
        if (actual != hex)
          fail(ErrorCode::kVerification, url + ": " + alg_name + " is " + actual + ", expected " + hex);
      }
    } else {
      std::string data = fetcher.get(url, t->length);
      tuf::check_length_and_hashes(data, t->length, t->hashes, url);
      fs::write_file_atomic(tmp, data);
    }
    fs::rename_durable(tmp, dest);
  } catch (...) {
    clean();
    throw;
  }
  say("target '" + path + "': downloaded " + std::to_string(t->length) + " bytes to " + dest.string());
}

int run(const std::vector<std::string>& argv) {
  const ParsedArgs args = tuf_client_command_line().parse(argv);
  const std::string command = args.positional()[0];
  if (command == "init") return init(args);
  if (command != "refresh" && command != "download") fail(ErrorCode::kUsage, "unknown command '" + command + "'");
  if (args.positional().size() != 1) fail(ErrorCode::kUsage, command + " takes no argument");

  const stdfs::path metadata_dir = required(args, "metadata-dir");
  const std::string metadata_url = with_trailing_slash(required(args, "metadata-url"));
  const auto fetcher_owner = net::make_fetcher();
  net::Fetcher& fetcher = *fetcher_owner;
  if (command == "refresh") {
    tuf::Client client(metadata_dir, metadata_url, "", fetcher);
    refresh(client);
    return 0;
  }
  const std::vector<std::string> names = args.values("target-name");
  if (names.empty()) fail(ErrorCode::kUsage, "option --target-name is required for download");
  const std::string target_base_url = with_trailing_slash(required(args, "target-base-url"));
  const stdfs::path target_dir = required(args, "target-dir");
  // One client for every target: one refresh, delegated roles loaded once.
  tuf::Client client(metadata_dir, metadata_url, target_base_url, fetcher);
  refresh(client);
  fs::create_directories_durable(target_dir);
  for (const auto& name : names) download_one(client, fetcher, name, target_dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  upkeep::init_logging({.program = "upkeep-tuf-client"});
  const std::vector<std::string> args(argv + 1, argv + argc);
  const int code = upkeep::run_command("upkeep-tuf-client", args, [&] { return run(args); });
  // The conformance suites' contract: 0 success, 1 any failure; 2 stays a bad command line.
  return code == 0 || code == static_cast<int>(upkeep::ErrorCode::kUsage) ? code : 1;
}
