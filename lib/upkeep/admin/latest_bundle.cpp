#include "upkeep/admin/latest_bundle.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "upkeep/base/error.h"
#include "upkeep/base/version.h"
#include "upkeep/platform/fs.h"

namespace upkeep::admin {

namespace stdfs = std::filesystem;

namespace {

void check_part(const std::string& part, const char* what) {
  if (part.empty() || part.front() == '.' || part.find('/') != std::string::npos ||
      part.find('\0') != std::string::npos)
    fail(ErrorCode::kBadInput, std::string("latest link: the ") + what + " '" + part +
                                   "' cannot be part of a file name (expected no '/' and no leading '.')");
}

ErrorCode code_of(const std::error_code& ec) {
  if (ec == std::errc::no_space_on_device) return ErrorCode::kNoSpace;
  if (ec == std::errc::permission_denied || ec == std::errc::operation_not_permitted ||
      ec == std::errc::read_only_file_system)
    return ErrorCode::kPermission;
  return ErrorCode::kFailure;
}

}  // namespace

std::string LatestBundle::file_name(const std::string& app_id, const std::string& channel,
                                    const std::string& platform) {
  check_part(app_id, "app id");
  check_part(channel, "channel");
  check_part(platform, "platform");
  return channel == "stable" ? app_id + "-latest-" + platform : app_id + "-" + channel + "-latest-" + platform;
}

stdfs::path LatestBundle::path_of(const stdfs::path& repo_dir, const BundleFacts& facts) {
  return repo_dir / kDir / file_name(facts.app_id, facts.channel, facts.platform);
}

bool LatestBundle::is_behind(const stdfs::path& repo_dir, const BundleFacts& facts) {
  const stdfs::path link = path_of(repo_dir, facts);
  std::error_code ec;
  if (!stdfs::exists(link, ec)) return true;
  try {
    const BundleFacts there = OfflineBundle::open(link).facts();
    const auto have = Version::parse(there.version);
    const auto want = Version::parse(facts.version);
    return !have || (want && want->compare(*have) > 0);
  } catch (const Error& e) {
    spdlog::warn("{} is replaced: {}", link.string(), e.what());
    return true;
  }
}

std::optional<stdfs::path> LatestBundle::refresh(const stdfs::path& repo_dir, const stdfs::path& bundle) {
  const BundleFacts facts = OfflineBundle::open(bundle).facts();
  if (!is_behind(repo_dir, facts)) return std::nullopt;
  const stdfs::path link = path_of(repo_dir, facts);
  const stdfs::path tmp = link.parent_path() / ("." + link.filename().string() + ".tmp-" + std::to_string(getpid()));
  std::error_code ec;
  stdfs::create_directories(link.parent_path(), ec);
  if (!ec) stdfs::copy_file(bundle, tmp, stdfs::copy_options::overwrite_existing, ec);
  if (ec) {
    stdfs::remove(tmp);
    fail(code_of(ec), "latest link: cannot copy " + bundle.string() + " to " + tmp.string() + ": " + ec.message());
  }
  try {
    fs::fsync_file(tmp);
    fs::rename_durable(tmp, link);
  } catch (...) {
    stdfs::remove(tmp, ec);
    throw;
  }
  spdlog::info("latest link {} now holds {} {}", link.string(), facts.app_id, facts.version);
  return link;
}

}  // namespace upkeep::admin
