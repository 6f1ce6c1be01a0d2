// ResumableDownload: the transport-neutral half of Fetcher::download, shared
// by HttpFetcher's file:// and http(s) paths. It owns DEST.part: on
// construction it keeps the bytes an earlier attempt left (hashing them,
// not fetching them again) and says where to resume (offset()); the
// transport then opens its source at that offset (or at zero, when it
// cannot resume) and hands over the body; at the end the length and SHA-256
// are checked and DEST.part becomes DEST, durably.
//
// After finish() or a true finish_if_complete(): DEST holds the complete,
// verified file. After a failure: a length or hash mismatch (and whatever
// the transport reports through discard()) deleted DEST.part and threw
// Error(kVerification) with Fault::kDelivery (the bytes, not the release,
// were wrong); a body that ended short threw Error(kNetwork) and
// DEST.part stays for the next attempt; so does any exception the body
// stream throws (the transport turns it into Error(kNetwork)).
// One download, one thread; not copyable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <istream>
#include <memory>
#include <optional>
#include <string>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/net/fetcher.h"

namespace upkeep::net {

// Reads what has arrived (at least one byte, at most n), blocking only while
// nothing is buffered; 0 = the body ended. Returning early matters: bytes
// received before a stall or reset must reach the .part, not die in a buffer.
size_t read_some(std::istream& in, char* buf, size_t n);

// "URL: more than N bytes": the message of an endless-data refusal.
std::string more_than(const std::string& url, uint64_t limit);

class ResumableDownload {
 public:
  // Creates DEST's folder and opens DEST.part; `url` names the download in errors.
  ResumableDownload(std::string url, const std::filesystem::path& dest, uint64_t expected_length,
                    const std::string& expected_sha256, DownloadProgress* progress);
  ~ResumableDownload();
  ResumableDownload(const ResumableDownload&) = delete;
  ResumableDownload& operator=(const ResumableDownload&) = delete;

  // An earlier attempt received every byte but failed before the rename:
  // when they hash right, finishes (true); else starts over (false).
  bool finish_if_complete();
  // Where the transport should start: the bytes of DEST.part kept.
  uint64_t offset() const { return resume_from_; }
  uint64_t expected_length() const { return expected_length_; }
  // The transport's body starts at `start` (0: it ignored the offset, so
  // DEST.part starts over) and the resource is `announced` bytes long, when
  // known: a length other than the expected one is Error(kVerification).
  void begin(uint64_t start, std::optional<uint64_t> announced);
  // Appends the body to DEST.part, hashing it and reporting progress.
  void receive(std::istream& body);
  // Checks the length and hash and moves DEST.part to DEST.
  void finish();
  // Deletes DEST.part and throws Error(code, message, Fault::kDelivery): the
  // transport found that what is there cannot be continued.
  [[noreturn]] void discard(ErrorCode code, const std::string& message);

  const Fetcher::DownloadResult& result() const { return result_; }

 private:
  class PartFile;
  void complete(const std::string& got_sha256);

  std::string url_;
  std::filesystem::path dest_;
  std::filesystem::path part_path_;
  uint64_t expected_length_;
  std::string want_sha256_;
  DownloadProgress* progress_;
  std::unique_ptr<PartFile> part_;
  Hasher hasher_;
  uint64_t done_ = 0;         // bytes in DEST.part
  uint64_t resume_from_ = 0;  // offset() asked of the transport
  Fetcher::DownloadResult result_;
};

}  // namespace upkeep::net
