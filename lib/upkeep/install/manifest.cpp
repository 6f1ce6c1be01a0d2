#include "upkeep/install/manifest.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <system_error>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/base/json.h"
#include "upkeep/base/json_entry_reader.h"
#include "upkeep/base/version.h"
#include "upkeep/platform/fs.h"

namespace upkeep {

namespace stdfs = std::filesystem;

namespace {

constexpr int64_t kFormat = 1;
constexpr int64_t kFormatWithHooks = 2;  // adds "hooks"
constexpr size_t kMaxPathBytes = 4096;
constexpr uint32_t kModeMask = 07777;

std::string octal_mode(uint32_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", mode);
  return buf;
}

// Every proper directory prefix of a '/'-separated path: "a/b/c" -> "a", "a/b".
void add_parent_dirs(std::string_view path, std::set<std::string, std::less<>>& out) {
  for (size_t slash = path.find('/'); slash != std::string_view::npos; slash = path.find('/', slash + 1)) {
    out.emplace(path.substr(0, slash));
  }
}

const char* type_name(stdfs::file_type t) {
  switch (t) {
    case stdfs::file_type::regular:
      return "a regular file";
    case stdfs::file_type::directory:
      return "a directory";
    case stdfs::file_type::symlink:
      return "a symlink";
    case stdfs::file_type::block:
      return "a block device";
    case stdfs::file_type::character:
      return "a character device";
    case stdfs::file_type::fifo:
      return "a FIFO";
    case stdfs::file_type::socket:
      return "a socket";
    default:
      return "a special file";
  }
}

uint32_t mode_of(const stdfs::file_status& st) { return static_cast<uint32_t>(st.permissions()) & kModeMask; }

// Relative '/'-separated name of `p` below `root` (both from the same walk).
std::string relative_name(const stdfs::path& p, const stdfs::path& root) {
  return p.lexically_relative(root).generic_string();
}

}  // namespace

bool is_safe_relative_path(std::string_view p, std::string* why) {
  auto no = [why](const char* reason) {
    if (why) *why = reason;
    return false;
  };
  if (p.empty()) return no("is empty");
  if (p.size() > kMaxPathBytes) return no("is longer than 4096 bytes");
  for (char c : p) {
    if (c == '\0') return no("contains a NUL byte");
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return no("contains a control character");
    if (c == '\\') return no("contains a backslash");
  }
  if (p.front() == '/') return no("is absolute");
  if (p.size() >= 2 && p[1] == ':' && ((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z'))) {
    return no("starts with a drive letter");
  }
  // ':' also names NTFS alternate data streams; releases must stay portable.
  if (p.find(':') != std::string_view::npos) return no("contains ':'");
  size_t start = 0;
  while (true) {
    size_t slash = p.find('/', start);
    std::string_view part = p.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty()) return no("has an empty component");
    if (part == ".") return no("has a '.' component");
    if (part == "..") return no("has a '..' component");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

FileManifest FileManifest::parse(std::string_view json_text, std::string_view what) {
  const std::string w(what);
  Json doc = Json::parse(json_text, what);
  if (!doc.is_object()) fail(ErrorCode::kBadInput, w + ": expected a JSON object at the top level");
  const Json* format = doc.find("format");
  if (!format) fail(ErrorCode::kBadInput, w + ": missing field 'format'");
  if (!format->is_int() || (format->as_int() != kFormat && format->as_int() != kFormatWithHooks)) {
    fail(ErrorCode::kBadInput, w + ": field 'format' is " + format->dump(0) + ", expected 1 or 2");
  }
  const bool with_hooks = format->as_int() == kFormatWithHooks;
  for (const auto& [key, value] : doc.as_object()) {
    if (key == "hooks" && !with_hooks) fail(ErrorCode::kBadInput, w + ": field 'hooks' needs format 2, found format 1");
    if (key != "files" && key != "format" && key != "version" && key != "hooks") {
      fail(ErrorCode::kBadInput, w + ": unknown field '" + key + "' (expected only files, format, " +
                                     (with_hooks ? "hooks, " : "") + "version)");
    }
  }
  const Json* version = doc.find("version");
  if (!version) fail(ErrorCode::kBadInput, w + ": missing field 'version'");
  if (!version->is_string()) {
    fail(ErrorCode::kBadInput, w + ": field 'version' must be a string, found " + json_type_name(version->type()));
  }
  Version::parse_or_throw(version->as_string(), w + ": field 'version'");
  const Json* files = doc.find("files");
  if (!files) fail(ErrorCode::kBadInput, w + ": missing field 'files'");
  if (!files->is_array()) {
    fail(ErrorCode::kBadInput, w + ": field 'files' must be an array, found " + json_type_name(files->type()));
  }

  FileManifest m;
  m.version_ = version->as_string();
  std::set<std::string, std::less<>> paths;
  const Json::Array& list = files->as_array();
  m.files_.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& e = list[i];
    JsonEntryReader r(what, "files", i, e);
    r.only_fields({"mode", "path", "sha256", "size"}, "mode, path, sha256, size");
    FileEntry f;
    f.path = r.string("path");
    std::string why;
    if (!is_safe_relative_path(f.path, &why)) r.bad("path", "'" + f.path + "' " + why);
    r.set_name(f.path);
    f.size = static_cast<uint64_t>(r.integer("size", 0, INT64_MAX, "a non-negative integer"));
    f.sha256 = r.sha256("sha256");
    f.mode = static_cast<uint32_t>(r.integer("mode", 0, kModeMask, "0..4095 (permission bits 0..07777)"));
    if (!m.files_.empty()) {
      const std::string& prev = m.files_.back().path;
      if (prev == f.path) r.bad("path", "is listed twice");
      if (prev > f.path) r.bad("path", "is out of order (files must be sorted by path; comes after '" + prev + "')");
    }
    paths.insert(f.path);
    m.files_.push_back(std::move(f));
  }
  // A path cannot be both a file and the directory of another file.
  for (size_t i = 0; i < m.files_.size(); ++i) {
    std::set<std::string, std::less<>> parents;
    add_parent_dirs(m.files_[i].path, parents);
    for (const std::string& dir : parents) {
      if (paths.count(dir)) {
        JsonEntryReader r(what, "files", i, list[i]);
        r.set_name(m.files_[i].path);
        r.bad("path", "lies below '" + dir + "', which is also listed as a file");
      }
    }
  }
  if (const Json* hooks = doc.find("hooks")) {
    m.hooks_ = parse_hooks(*hooks, w);
    validate_hooks(m.hooks_, m.files_, w, "listed in the manifest");
  }
  return m;
}

FileManifest FileManifest::from_directory(const stdfs::path& dir, std::string version, std::vector<HookSpec> hooks) {
  Version::parse_or_throw(version, "manifest version");
  std::error_code ec;
  if (!stdfs::is_directory(stdfs::symlink_status(dir, ec))) {
    fail(ErrorCode::kNotFound, dir.string() + ": is not a directory (expected the build folder of a release)");
  }
  FileManifest m;
  m.version_ = std::move(version);
  try {
    // Symlinks are not followed: each one is reported below instead.
    for (const auto& entry : stdfs::recursive_directory_iterator(dir)) {
      stdfs::file_status st = entry.symlink_status();
      std::string rel = relative_name(entry.path(), dir);
      if (st.type() == stdfs::file_type::directory) continue;  // implied by the files below it
      if (st.type() != stdfs::file_type::regular) {
        fail(ErrorCode::kBadInput, entry.path().string() + ": is " + type_name(st.type()) +
                                       " (a release may hold only regular files and directories)");
      }
      std::string why;
      if (!is_safe_relative_path(rel, &why)) {
        fail(ErrorCode::kBadInput, entry.path().string() + ": name '" + rel + "' " + why);
      }
      FileEntry f;
      f.path = std::move(rel);
      f.size = entry.file_size();
      f.mode = mode_of(st);
      f.sha256 = hash_file_hex(entry.path());
      m.files_.push_back(std::move(f));
    }
  } catch (const stdfs::filesystem_error& e) {
    fail(ErrorCode::kFailure, "cannot list " + dir.string() + ": " + e.what());
  }
  std::sort(m.files_.begin(), m.files_.end(), [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; });
  std::sort(hooks.begin(), hooks.end(), [](const HookSpec& a, const HookSpec& b) { return a.kind < b.kind; });
  validate_hooks(hooks, m.files_, dir.string(), "of this release folder");
  m.hooks_ = std::move(hooks);
  return m;
}

const HookSpec* FileManifest::hook(HookKind kind) const {
  for (const HookSpec& h : hooks_)
    if (h.kind == kind) return &h;
  return nullptr;
}

const FileEntry* FileManifest::find(std::string_view path) const {
  auto it = std::lower_bound(files_.begin(), files_.end(), path,
                             [](const FileEntry& e, std::string_view p) { return e.path < p; });
  return it != files_.end() && it->path == path ? &*it : nullptr;
}

uint64_t FileManifest::total_size() const {
  uint64_t total = 0;
  for (const FileEntry& f : files_) total = f.size > UINT64_MAX - total ? UINT64_MAX : total + f.size;
  return total;
}

std::string FileManifest::to_json() const {
  Json files = Json::array();
  for (const FileEntry& f : files_) {
    Json e = Json::object();
    e["mode"] = Json(static_cast<int64_t>(f.mode));
    e["path"] = Json(f.path);
    e["sha256"] = Json(f.sha256);
    e["size"] = Json(static_cast<int64_t>(f.size));
    files.push_back(std::move(e));
  }
  Json doc = Json::object();
  doc["files"] = std::move(files);
  doc["format"] = Json(hooks_.empty() ? kFormat : kFormatWithHooks);
  if (!hooks_.empty()) doc["hooks"] = hooks_to_json(hooks_);
  doc["version"] = Json(version_);
  return doc.dump_canonical();
}

namespace {

// One name of a version folder: its path and type ('f' file, 'd' folder, ...).
struct ListingLine {
  std::string_view path;
  char type;
};

// "d a\n", "f a/b\n", ... sorted by path: the canonical text both digests
// hash, built without a string per line and hashed in one call.
std::string digest_of_listing(std::vector<ListingLine>& lines) {
  std::sort(lines.begin(), lines.end(), [](const ListingLine& a, const ListingLine& b) { return a.path < b.path; });
  size_t total = 0;
  for (const auto& l : lines) total += l.path.size() + 3;
  std::string text;
  text.reserve(total);
  for (const auto& l : lines) {
    text += l.type;
    text += ' ';
    text += l.path;
    text += '\n';
  }
  return sha256_hex(text);
}

}  // namespace

std::string FileManifest::listing_digest() const {
  std::set<std::string, std::less<>> dirs;
  for (const FileEntry& f : files_) add_parent_dirs(f.path, dirs);
  std::vector<ListingLine> lines;
  lines.reserve(files_.size() + dirs.size());
  for (const auto& d : dirs) lines.push_back({d, 'd'});
  for (const FileEntry& f : files_) lines.push_back({f.path, 'f'});
  return digest_of_listing(lines);
}

std::string FileManifest::listing_digest_of(const stdfs::path& dir) {
  std::vector<fs::TreeEntry> entries = fs::list_tree(dir);
  std::vector<ListingLine> lines;
  lines.reserve(entries.size());
  for (const auto& e : entries) lines.push_back({e.path, static_cast<char>(e.type)});
  return digest_of_listing(lines);
}

void FileManifest::verify_directory(const stdfs::path& dir, Depth depth) const {
  auto differs = [&dir](const std::string& rel, const std::string& how) {
    fail(ErrorCode::kVerification, rel + ": " + how + " (in " + dir.string() + ")");
  };
  std::error_code ec;
  if (!stdfs::is_directory(stdfs::symlink_status(dir, ec))) {
    fail(ErrorCode::kVerification, dir.string() + ": is not a directory (expected version " + version_ + ")");
  }
  std::set<std::string, std::less<>> dirs;
  for (const FileEntry& f : files_) add_parent_dirs(f.path, dirs);

  // 1. Nothing beyond the list: no extra files or folders, no links, no devices.
  try {
    for (const auto& entry : stdfs::recursive_directory_iterator(dir)) {
      std::string rel = relative_name(entry.path(), dir);
      stdfs::file_type t = entry.symlink_status().type();
      if (t == stdfs::file_type::directory) {
        if (!dirs.count(rel)) differs(rel, "unexpected directory (not implied by any file in the manifest)");
      } else if (t == stdfs::file_type::regular) {
        if (!find(rel)) differs(rel, "unexpected file (not in the manifest)");
      } else {
        differs(rel, std::string("is ") + type_name(t) + ", expected only regular files and directories");
      }
    }
  } catch (const stdfs::filesystem_error& e) {
    fail(ErrorCode::kVerification, "cannot list " + dir.string() + ": " + e.what());
  }

  // 2. Every listed file, stat only: cost does not grow with file size.
  for (const FileEntry& f : files_) {
    stdfs::path p = dir / f.path;
    stdfs::file_status st = stdfs::symlink_status(p, ec);
    if (st.type() == stdfs::file_type::not_found || st.type() == stdfs::file_type::none) differs(f.path, "missing");
    if (st.type() != stdfs::file_type::regular)
      differs(f.path, std::string("is ") + type_name(st.type()) + ", expected a regular file");
    uint64_t size = stdfs::file_size(p, ec);
    if (ec) differs(f.path, "cannot read its size: " + ec.message());
    if (size != f.size) differs(f.path, "size " + std::to_string(size) + ", expected " + std::to_string(f.size));
    if (mode_of(st) != f.mode) differs(f.path, "mode " + octal_mode(mode_of(st)) + ", expected " + octal_mode(f.mode));
  }

  if (depth != Depth::kFull) return;
  // 3. Content.
  for (const FileEntry& f : files_) {
    std::string got;
    try {
      got = hash_file_hex(dir / f.path);
    } catch (const Error& e) {
      differs(f.path, std::string("cannot hash it: ") + e.what());
    }
    if (got != f.sha256) differs(f.path, "content differs (sha256 " + got + ", expected " + f.sha256 + ")");
  }
}

}  // namespace upkeep
