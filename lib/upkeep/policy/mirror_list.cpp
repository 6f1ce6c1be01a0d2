#include "upkeep/policy/mirror_list.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace upkeep {

MirrorList::MirrorList(std::vector<std::string> urls) : urls_(std::move(urls)) {}

std::vector<std::string> MirrorList::parse(std::string_view key, const Json& value) {
  const std::string what = "a list of repository URLs (http://, https://, sftp:// or file://)";
  auto bad = [&](const std::string& found) {
    fail(ErrorCode::kBadInput, "key '" + std::string(key) + "': expected " + what + ", found " + found);
  };
  if (!value.is_array()) bad(json_type_name(value.type()));
  std::vector<std::string> urls;
  for (const Json& v : value.as_array()) {
    if (!v.is_string()) bad("an entry that is " + std::string(json_type_name(v.type())));
    std::string url = v.as_string();
    if (!is_repository_url(url)) bad("'" + url + "'");
    if (url.back() != '/') url += '/';
    if (std::find(urls.begin(), urls.end(), url) == urls.end()) urls.push_back(url);
  }
  return urls;
}

bool MirrorList::is_repository_url(std::string_view url) {
  for (std::string_view scheme : {"http://", "https://", "sftp://", "file://"})
    if (url.size() > scheme.size() && url.substr(0, scheme.size()) == scheme) return true;
  return false;
}

bool MirrorList::worth_next(const Error& error) {
  // The release's own failure (the same verified bytes everywhere) or this machine's.
  if (error.fault() == Fault::kRelease || error.fault() == Fault::kLocal) return false;
  switch (error.code()) {
    case ErrorCode::kNetwork:       // unreachable, an HTTP error, too slow
    case ErrorCode::kVerification:  // tampered or stale metadata, bytes not matching their signed hash
    case ErrorCode::kBadInput:      // a reply that is not the metadata it claims to be
    case ErrorCode::kNotFound:      // a mirror that lacks a file
    case ErrorCode::kCredentials:   // credentials one source refused (each source has its own)
      return true;
    default:
      return false;
  }
}

std::string MirrorList::summary(const std::vector<std::string>& failures, const Error& last) {
  if (failures.size() == 1) return last.what();
  std::string s = "every source failed: ";
  for (size_t i = 0; i < failures.size(); ++i) s += (i ? "; " : "") + failures[i];
  return s;
}

void MirrorList::note_next(const std::string& url, const Error& e, const std::string& next) {
  spdlog::warn("update from {} failed ({}); trying the mirror {}", url, e.what(), next);
}

}  // namespace upkeep
