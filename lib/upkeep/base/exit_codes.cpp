#include "upkeep/base/exit_codes.h"

#include <array>
#include <cstdio>

namespace upkeep {
namespace {

constexpr std::array<ExitCodeInfo, 17> kTable{{
    {ErrorCode::kOk, "ok", "success (the launcher: the application's own exit code)"},
    {ErrorCode::kFailure, "failure", "other failure"},
    {ErrorCode::kUsage, "usage", "bad command line"},
    {ErrorCode::kNoRunnableVersion, "no_runnable_version", "no runnable version installed (launcher)"},
    {ErrorCode::kLockTimeout, "lock_timeout", "the install lock is held too long by another process"},
    {ErrorCode::kVerification, "verification",
     "verification failed: signature, hash, length, manifest, expiry (`upkeep mirror`: a source file or metadata "
     "that does not match)"},
    {ErrorCode::kNetwork, "network", "network: repository unreachable or a bad HTTP reply"},
    {ErrorCode::kNoSpace, "no_space", "not enough disk space"},
    {ErrorCode::kExists, "exists", "already exists (release version; already installed)"},
    {ErrorCode::kNotFound, "not_found",
     "not found (version, file, install root; `upkeep rollout` of a version not released)"},
    {ErrorCode::kBadInput, "bad_input", "malformed input (JSON, archive, config)"},
    {ErrorCode::kDowngrade, "downgrade", "refused downgrade"},
    {ErrorCode::kNeedsRoot, "needs_root",
     "needs administrator rights (root): `install --system`, uninstalling or repairing a per-machine install"},
    {ErrorCode::kBadBundle, "bad_bundle",
     "bad bundle: not an offline bundle, truncated, damaged, or for another platform"},
    {ErrorCode::kPermission, "permission",
     "permission denied: a file or folder of the install this user may not read or write (another user's or a "
     "read-only root)"},
    {ErrorCode::kCredentials, "credentials",
     "refused: credentials. The repository (HTTP 401/403, or an SFTP server) refused the credentials given for it, "
     "or asked for credentials and none were given"},
    {ErrorCode::kCheckFailed, "check_failed",
     "a check of the hosted repository failed (`upkeep doctor`: expiry ahead, cache headers, a target missing or "
     "damaged; [hosting](docs/hosting.md))"},
}};

constexpr bool table_in_order() {
  for (size_t i = 0; i < kTable.size(); ++i)
    if (static_cast<size_t>(kTable[i].code) != i) return false;
  return true;
}
static_assert(table_in_order(), "kTable lists every ErrorCode once, in order of value");

}  // namespace

std::span<const ExitCodeInfo> exit_codes() { return kTable; }

const ExitCodeInfo& exit_code_info(ErrorCode code) {
  const auto i = static_cast<size_t>(code);
  return i < kTable.size() ? kTable[i] : kTable[static_cast<size_t>(ErrorCode::kFailure)];
}

std::string exit_codes_markdown() {
  std::string out = "| code | name | meaning |\n|---|---|---|\n";
  for (const auto& e : kTable)
    out += "| " + std::to_string(static_cast<int>(e.code)) + " | `" + std::string(e.name) + "` | " +
           std::string(e.meaning) + " |\n";
  return out;
}

std::string exit_codes_text() {
  std::string out;
  for (const auto& e : kTable) {
    char head[40];
    std::snprintf(head, sizeof head, "%3d  %-20s ", static_cast<int>(e.code), std::string(e.name).c_str());
    out += head + std::string(e.meaning) + "\n";
  }
  return out;
}

Json exit_codes_json() {
  Json list = Json::array();
  for (const auto& e : kTable) {
    Json j = Json::object();
    j["code"] = static_cast<int64_t>(e.code);
    j["name"] = std::string(e.name);
    j["meaning"] = std::string(e.meaning);
    list.push_back(j);
  }
  return list;
}

Json error_json(ErrorCode code, const std::string& message) {
  Json inner = Json::object();
  inner["code"] = static_cast<int64_t>(code);
  inner["name"] = std::string(exit_code_info(code).name);
  inner["message"] = message;
  Json j = Json::object();
  j["error"] = inner;
  return j;
}

}  // namespace upkeep
