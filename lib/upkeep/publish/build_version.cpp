#include "upkeep/publish/build_version.h"

#include "upkeep/base/error.h"
#include "upkeep/base/version.h"
#include "upkeep/platform/fs.h"

namespace upkeep::publish {

namespace {

constexpr uint64_t kVersionFileMax = 4096;

// A text file's first line, trimmed: the whole of a VERSION file.
fileinfo::ProgramVersion first_line_of(const std::filesystem::path& file) {
  std::string text = fs::read_file(file, kVersionFileMax);
  text = text.substr(0, text.find_first_of("\r\n"));
  const size_t a = text.find_first_not_of(" \t"), b = text.find_last_not_of(" \t");
  text = a == std::string::npos ? "" : text.substr(a, b - a + 1);
  fileinfo::ProgramVersion v;
  v.kind = "text";
  v.version = Version::parse_or_throw(text, file.string() + " (its first line)").str();
  v.source = "the first line";
  return v;
}

}  // namespace

std::filesystem::path BuildVersion::check_relative(const std::string& rel_path) {
  const std::filesystem::path rel(rel_path);
  const std::filesystem::path normal = rel.lexically_normal();
  if (rel.empty() || rel.is_absolute() || rel.has_root_name() || normal.empty() || *normal.begin() == "..")
    fail(ErrorCode::kUsage,
         "--version-from '" + rel_path + "': expected a path relative to the build folder, inside it");
  return normal;
}

fileinfo::ProgramVersion BuildVersion::read(const std::filesystem::path& build_dir, const std::string& rel_path) {
  const std::filesystem::path normal = check_relative(rel_path);
  // A link may still lead out of the folder: the file's real place must be inside the folder's.
  const auto real_dir = std::filesystem::weakly_canonical(build_dir);
  const auto real_file = std::filesystem::weakly_canonical(build_dir / normal);
  const auto inside = real_file.lexically_relative(real_dir);
  if (inside.empty() || *inside.begin() == "..")
    fail(ErrorCode::kBadInput, "--version-from '" + rel_path + "' leads to " + real_file.string() + ", outside " +
                                   real_dir.string() + "; expected a file inside the build folder");
  const std::filesystem::path file = build_dir / normal;
  if (fileinfo::is_program_file(file)) return fileinfo::read_program_version(file);
  return first_line_of(file);
}

}  // namespace upkeep::publish
