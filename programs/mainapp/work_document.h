// WorkDocument: the reference application's "user's work", what its save
// hook writes before a restart to update: lines of text in
// $XDG_DATA_HOME/<app-id>/document.txt (InstallPaths::user_data_home).
//
// open() reads the saved document when there is one. Lines added (typed in
// mainapp, or --note) are unsaved until save(), which writes the whole
// document with fs::write_file_atomic: the file holds the old or the new
// text, never a mix. save() throws Error (naming the file) when it cannot
// write, and the lines stay unsaved. Main thread only.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace upkeep {

class WorkDocument {
 public:
  // The document of `app_id`. A folder that cannot be named (HOME unset) or a
  // file that cannot be read leaves an empty document whose save() fails with why.
  static WorkDocument open(const std::string& app_id);
  explicit WorkDocument(std::filesystem::path file);

  void add_line(const std::string& line);
  // Writes the document when it has unsaved lines; returns whether it wrote.
  bool save();

  const std::filesystem::path& file() const { return file_; }
  size_t line_count() const { return lines_; }
  bool loaded() const { return loaded_; }  // a saved document was read

 private:
  std::filesystem::path file_;
  std::string text_;
  std::string error_;  // why save() cannot work, when known at open
  size_t lines_ = 0;
  bool unsaved_ = false;
  bool loaded_ = false;
};

}  // namespace upkeep
