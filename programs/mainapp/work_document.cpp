#include "work_document.h"

#include <algorithm>

#include "upkeep/admin/install_paths.h"
#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"

namespace upkeep {

namespace stdfs = std::filesystem;

namespace {
constexpr uint64_t kMaxDocumentBytes = 16u << 20;
}

WorkDocument WorkDocument::open(const std::string& app_id) {
  try {
    return WorkDocument(admin::InstallPaths::user_data_home(app_id) / "document.txt");
  } catch (const std::exception& e) {
    WorkDocument d{stdfs::path()};
    d.error_ = std::string("no folder for your work: ") + e.what();
    return d;
  }
}

WorkDocument::WorkDocument(stdfs::path file) : file_(std::move(file)) {
  std::error_code ec;
  if (file_.empty() || !stdfs::exists(file_, ec)) return;
  try {
    text_ = fs::read_file(file_, kMaxDocumentBytes);
    lines_ = static_cast<size_t>(std::count(text_.begin(), text_.end(), '\n'));
    loaded_ = true;
  } catch (const std::exception& e) {
    // Never write over a document we could not read.
    error_ = std::string("cannot read ") + file_.string() + ": " + e.what();
  }
}

void WorkDocument::add_line(const std::string& line) {
  text_ += line + "\n";
  ++lines_;
  unsaved_ = true;
}

bool WorkDocument::save() {
  if (!unsaved_) return false;
  if (!error_.empty()) fail(ErrorCode::kFailure, error_);
  fs::create_directories_durable(file_.parent_path());
  fs::write_file_atomic(file_, text_, 0600);
  unsaved_ = false;
  return true;
}

}  // namespace upkeep
