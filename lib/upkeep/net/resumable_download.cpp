#include "upkeep/net/resumable_download.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "upkeep/platform/fault_injection.h"
#include "upkeep/platform/fs.h"

namespace upkeep::net {
namespace stdfs = std::filesystem;

namespace {

constexpr size_t kReadBufferSize = 64 * 1024;
constexpr uint64_t kProgressStep = 64 * 1024;

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

size_t read_some(std::istream& in, char* buf, size_t n) {
  std::streambuf* sb = in.rdbuf();
  if (std::char_traits<char>::eq_int_type(sb->sgetc(), std::char_traits<char>::eof())) return 0;
  const std::streamsize avail = std::max<std::streamsize>(sb->in_avail(), 1);
  const std::streamsize got = sb->sgetn(buf, std::min(avail, static_cast<std::streamsize>(n)));
  return got > 0 ? static_cast<size_t>(got) : 0;
}

std::string more_than(const std::string& url, uint64_t limit) {
  return url + ": more than " + std::to_string(limit) + " bytes";
}

// The .part file of a download. Closes on destruction; never deletes by itself.
class ResumableDownload::PartFile {
 public:
  explicit PartFile(stdfs::path path) : path_(std::move(path)), file_(std::make_unique<fs::File>(path_)) {}

  uint64_t size() const { return file_->size(); }
  // Feeds the first n bytes to the hasher and leaves the write position at n.
  void hash_prefix(uint64_t n, Hasher& hasher) {
    std::vector<char> buf(kReadBufferSize);
    uint64_t done = 0;
    file_->seek(0);
    while (done < n) {
      size_t got = file_->read(buf.data(), static_cast<size_t>(std::min<uint64_t>(buf.size(), n - done)));
      if (got == 0) fail(ErrorCode::kFailure, path_.string() + ": shorter than expected while hashing");
      hasher.update(buf.data(), got);
      done += got;
    }
    truncate(n);
  }
  void truncate(uint64_t n) { file_->truncate(n); }
  void write(const char* data, size_t n) { file_->write(data, n); }
  void close() { file_.reset(); }
  void remove() {
    close();
    std::error_code ec;
    stdfs::remove(path_, ec);
  }

 private:
  stdfs::path path_;
  std::unique_ptr<fs::File> file_;
};

ResumableDownload::ResumableDownload(std::string url, const stdfs::path& dest, uint64_t expected_length,
                                     const std::string& expected_sha256, DownloadProgress* progress)
    : url_(std::move(url)),
      dest_(dest),
      part_path_(dest.string() + ".part"),
      expected_length_(expected_length),
      want_sha256_(lowercase(expected_sha256)),
      progress_(progress) {
  if (dest.has_parent_path()) fs::create_directories_durable(dest.parent_path());
  part_ = std::make_unique<PartFile>(part_path_);
  done_ = part_->size();
  if (done_ > expected_length_) done_ = 0;  // cannot be ours: start over
  part_->hash_prefix(done_, hasher_);
  resume_from_ = done_;
}

ResumableDownload::~ResumableDownload() = default;

bool ResumableDownload::finish_if_complete() {
  if (done_ == 0 || done_ != expected_length_) return false;
  if (hasher_.hex_digest() == want_sha256_) {
    complete(want_sha256_);
    result_.resumed = true;
    return true;
  }
  part_->truncate(0);
  hasher_ = Hasher();
  done_ = resume_from_ = 0;
  return false;
}

void ResumableDownload::begin(uint64_t start, std::optional<uint64_t> announced) {
  if (start == 0 && resume_from_ > 0) {
    spdlog::debug("{}: server ignored the Range request, restarting from zero", url_);
    part_->truncate(0);
    hasher_ = Hasher();
    done_ = 0;
  }
  result_.resumed = start > 0;
  if (announced && *announced != expected_length_) {
    part_->remove();
    if (*announced > expected_length_)
      fail(ErrorCode::kVerification, more_than(url_, expected_length_), Fault::kDelivery);
    fail(ErrorCode::kVerification,
         url_ + ": the server announces " + std::to_string(*announced) + " bytes, expected " +
             std::to_string(expected_length_),
         Fault::kDelivery);
  }
}

void ResumableDownload::receive(std::istream& body) {
  std::vector<char> buf(kReadBufferSize);
  uint64_t reported = done_;
  for (;;) {
    const uint64_t room = expected_length_ - done_ + 1;  // one more byte proves the excess
    size_t n = read_some(body, buf.data(), static_cast<size_t>(std::min<uint64_t>(buf.size(), room)));
    if (n == 0) return;
    result_.bytes_transferred += n;
    if (done_ + n > expected_length_) discard(ErrorCode::kVerification, more_than(url_, expected_length_));
    try {
      part_->write(buf.data(), n);
    } catch (const Error&) {
      part_->remove();
      throw;
    }
    hasher_.update(buf.data(), n);
    const uint64_t half = expected_length_ / 2;
    const bool crossed_half = done_ < half && done_ + n >= half;
    done_ += n;
    if (crossed_half) crash_point("download.half");
    if (progress_ && done_ - reported >= kProgressStep && done_ < expected_length_) {
      progress_->on_progress(done_, expected_length_);
      reported = done_;
    }
  }
}

void ResumableDownload::finish() {
  if (done_ < expected_length_)
    fail(ErrorCode::kNetwork, url_ + ": connection closed after " + std::to_string(done_) + " of " +
                                  std::to_string(expected_length_) + " bytes");
  complete(hasher_.hex_digest());
}

void ResumableDownload::discard(ErrorCode code, const std::string& message) {
  part_->remove();
  fail(code, message, Fault::kDelivery);
}

void ResumableDownload::complete(const std::string& got) {
  if (got != want_sha256_)
    discard(ErrorCode::kVerification, url_ + ": SHA-256 mismatch: got " + got + ", expected " + want_sha256_);
  part_->close();
  fs::fsync_file(part_path_);
  fs::rename_durable(part_path_, dest_);
  if (progress_) progress_->on_progress(expected_length_, expected_length_);
}

}  // namespace upkeep::net
