// MirrorList: the repository an install updates from and its mirrors, in
// the order an update check tries them (config.json "repository", then
// "mirrors"; a managed policy may name its own, UpdateSettings).
//
// Every file is verified against the signed metadata whichever source served
// it, so a mirror needs no trust of its own: it can only be faster, slower,
// stale or wrong, and wrong is refused. first_success() runs a whole check
// against one source and moves to the next when the failure is one another
// source may not have (worth_next, the one rule): the network, bytes that did
// not match their signed length or hash, metadata that did not verify (a
// stale or tampered mirror; what was trusted stays trusted, so a stale one
// cannot roll anything back). It stops at once on a failure that is the
// release's own (Fault::kRelease, a counted failed try: every source serves
// the same verified bytes) or this machine's (disk full, permissions, a lock).
//
// Value type. first_success() runs on the caller's thread. After success:
// what the callable returned from the first source that did not fail. After
// failure: an Error with the last source's code and fault whose message
// names each source tried and what it failed with.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/base/json.h"

namespace upkeep {

class MirrorList {
 public:
  // `urls`: the repository first, then its mirrors; each ends in '/'.
  explicit MirrorList(std::vector<std::string> urls);

  // A JSON list of repository URLs (http://, https://, sftp:// or file://), each
  // given a trailing '/', duplicates dropped; Error(kBadInput) naming `key`
  // and the first bad entry otherwise. config.json and policy share it.
  static std::vector<std::string> parse(std::string_view key, const Json& value);

  // True when another source may succeed where one failed with `error`.
  static bool worth_next(const Error& error);
  // The schemes a repository or mirror may have: http://, https://, sftp:// and file://.
  static bool is_repository_url(std::string_view url);

  const std::vector<std::string>& urls() const { return urls_; }

  // Calls try_source(url) for each URL in turn; see the header comment.
  template <class Result>
  Result first_success(const std::function<Result(const std::string& url)>& try_source) const {
    std::vector<std::string> failures;
    for (size_t i = 0; i < urls_.size(); ++i) {
      try {
        return try_source(urls_[i]);
      } catch (const Error& e) {
        failures.push_back(urls_[i] + ": " + e.what());
        if (i + 1 == urls_.size() || !worth_next(e)) fail_again(e, summary(failures, e));
        note_next(urls_[i], e, urls_[i + 1]);
      }
    }
    fail(ErrorCode::kUsage, "no repository URL is configured");
  }

 private:
  // Only the last failure's message when one source was tried; else each "url: message".
  static std::string summary(const std::vector<std::string>& failures, const Error& last);
  static void note_next(const std::string& url, const Error& e, const std::string& next);

  std::vector<std::string> urls_;
};

}  // namespace upkeep
