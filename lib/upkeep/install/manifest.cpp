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
#include "upkeep/install/link_resolver.h"
#include "upkeep/platform/fs.h"

namespace upkeep {

namespace stdfs = std::filesystem;

namespace {

constexpr int64_t kFormat = 1;
constexpr int64_t kFormatWithHooks = 2;   // adds "hooks"
constexpr int64_t kFormatWithLaunch = 3;  // adds "launch" and symlink entries
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

namespace {

// The top level's fields: the format, and only the fields it allows.
int64_t checked_format(const Json& doc, const std::string& w) {
  if (!doc.is_object()) fail(ErrorCode::kBadInput, w + ": expected a JSON object at the top level");
  const Json* format = doc.find("format");
  if (!format) fail(ErrorCode::kBadInput, w + ": missing field 'format'");
  if (!format->is_int() || format->as_int() < kFormat || format->as_int() > kFormatWithLaunch) {
    fail(ErrorCode::kBadInput, w + ": field 'format' is " + format->dump(0) + ", expected 1, 2 or 3");
  }
  const int64_t f = format->as_int();
  for (const auto& [key, value] : doc.as_object()) {
    if (key == "hooks" && f < kFormatWithHooks)
      fail(ErrorCode::kBadInput, w + ": field 'hooks' needs format 2 or 3, found format " + std::to_string(f));
    if (key == "launch" && f < kFormatWithLaunch)
      fail(ErrorCode::kBadInput, w + ": field 'launch' needs format 3, found format " + std::to_string(f));
    if (key != "files" && key != "format" && key != "version" && key != "hooks" && key != "launch") {
      fail(ErrorCode::kBadInput, w + ": unknown field '" + key + "' (expected only files, format, " +
                                     (f >= kFormatWithHooks ? "hooks, " : "") +
                                     (f >= kFormatWithLaunch ? "launch, " : "") + "version)");
    }
  }
  return f;
}

// One entry of "files": a regular file, or (format 3) a symlink.
FileEntry parse_entry(std::string_view what, const Json::Array& list, size_t i, bool links_allowed) {
  JsonEntryReader r(what, "files", i, list[i]);
  const bool is_link = list[i].find("link") != nullptr;
  if (is_link) {
    r.only_fields({"link", "path"}, "link, path (a symlink)");
  } else {
    r.only_fields({"mode", "path", "sha256", "size"}, "mode, path, sha256, size");
  }
  FileEntry f;
  f.path = r.string("path");
  std::string why;
  if (!is_safe_relative_path(f.path, &why)) r.bad("path", "'" + f.path + "' " + why);
  r.set_name(f.path);
  if (is_link) {
    if (!links_allowed) r.bad("link", "needs format 3 (a symlink entry)");
    f.link = r.string("link");
    if (!is_safe_link_target(f.link, &why)) r.bad("link", why);
    f.mode = 0;
    return f;
  }
  f.size = static_cast<uint64_t>(r.integer("size", 0, INT64_MAX, "a non-negative integer"));
  f.sha256 = r.sha256("sha256");
  f.mode = static_cast<uint32_t>(r.integer("mode", 0, kModeMask, "0..4095 (permission bits 0..07777)"));
  return f;
}

// The launch program must be an executable file of the release (or a link to one).
void validate_launch(const FileManifest& m, const LaunchSpec& launch, const std::string& what,
                     const std::string& where) {
  const std::string field = what + ": the program '" + launch.program + "'";
  bool via_link = false;  // the path itself, or a folder on it, is a link
  for (size_t s = 0; s != std::string::npos; s = launch.program.find('/', s + 1)) {
    const FileEntry* e = m.find(s ? std::string_view(launch.program).substr(0, s) : launch.program);
    via_link = via_link || (e && e->is_link());
  }
  const FileEntry* end = nullptr;
  try {
    end = m.resolve(launch.program);
  } catch (const Error& e) {
    fail(ErrorCode::kBadInput,
         field + " does not exist " + where + (via_link ? std::string(" (") + e.what() + ")" : ""));
  }
  if (!end) fail(ErrorCode::kBadInput, field + " is a folder, expected an executable file " + where);
  if ((end->mode & 0111) == 0) {
    fail(ErrorCode::kBadInput, field + (end->path == launch.program ? "" : " (a link to '" + end->path + "')") +
                                   " has mode " + octal_mode(end->mode) +
                                   ", expected an executable file (a mode with an x bit, e.g. 0755)");
  }
}

}  // namespace

FileManifest FileManifest::parse(std::string_view json_text, std::string_view what) {
  const std::string w(what);
  Json doc = Json::parse(json_text, what);
  const int64_t format = checked_format(doc, w);
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
    FileEntry f = parse_entry(what, list, i, format >= kFormatWithLaunch);
    if (!m.files_.empty()) {
      const std::string& prev = m.files_.back().path;
      JsonEntryReader r(what, "files", i, list[i]);
      r.set_name(f.path);
      if (prev == f.path) r.bad("path", "is listed twice");
      if (prev > f.path) r.bad("path", "is out of order (files must be sorted by path; comes after '" + prev + "')");
    }
    paths.insert(f.path);
    m.files_.push_back(std::move(f));
  }
  // A path cannot be both a file (or link) and the directory of another entry.
  for (size_t i = 0; i < m.files_.size(); ++i) {
    std::set<std::string, std::less<>> parents;
    add_parent_dirs(m.files_[i].path, parents);
    for (const std::string& dir : parents) {
      if (paths.count(dir)) {
        JsonEntryReader r(what, "files", i, list[i]);
        r.set_name(m.files_[i].path);
        r.bad("path", "lies below '" + dir + "', which is also listed as a file or link");
      }
    }
  }
  LinkResolver(m.files_).check_links(w);
  if (const Json* hooks = doc.find("hooks")) {
    m.hooks_ = parse_hooks(*hooks, w);
    validate_hooks(m.hooks_, m.files_, w, "listed in the manifest");
  }
  if (const Json* launch = doc.find("launch")) {
    m.launch_ = LaunchSpec::from_json(*launch, w);
    validate_launch(m, *m.launch_, w, "in the manifest");
  }
  return m;
}

namespace {

// One entry of a build folder as the manifest lists it: a regular file
// (hashed) or a symlink (its target as stored, judged later over the whole
// list); anything else is refused, naming it.
FileEntry entry_of(const stdfs::directory_entry& entry, const stdfs::path& dir) {
  const stdfs::file_status st = entry.symlink_status();
  FileEntry f;
  f.path = relative_name(entry.path(), dir);
  std::string why;
  if (!is_safe_relative_path(f.path, &why))
    fail(ErrorCode::kBadInput, entry.path().string() + ": name '" + f.path + "' " + why);
  if (st.type() == stdfs::file_type::symlink) {
    f.link = stdfs::read_symlink(entry.path()).string();
    f.mode = 0;
    if (!is_safe_link_target(f.link, &why))
      fail(ErrorCode::kBadInput, dir.string() + ": link '" + f.path + "' has a target that " + why);
    return f;
  }
  if (st.type() != stdfs::file_type::regular) {
    fail(ErrorCode::kBadInput, entry.path().string() + ": is " + type_name(st.type()) +
                                   " (a release may hold only regular files, directories and symlinks)");
  }
  f.size = entry.file_size();
  f.mode = mode_of(st);
  f.sha256 = hash_file_hex(entry.path());
  return f;
}

}  // namespace

FileManifest FileManifest::from_directory(const stdfs::path& dir, std::string version, std::vector<HookSpec> hooks,
                                          std::optional<LaunchSpec> launch) {
  Version::parse_or_throw(version, "manifest version");
  std::error_code ec;
  if (!stdfs::is_directory(stdfs::symlink_status(dir, ec))) {
    fail(ErrorCode::kNotFound, dir.string() + ": is not a directory (expected the build folder of a release)");
  }
  FileManifest m;
  m.version_ = std::move(version);
  try {
    // Symlinks are not followed: each is listed with its target and judged below.
    for (const auto& entry : stdfs::recursive_directory_iterator(dir)) {
      if (entry.symlink_status().type() == stdfs::file_type::directory) continue;  // implied by the files below it
      m.files_.push_back(entry_of(entry, dir));
    }
  } catch (const stdfs::filesystem_error& e) {
    fail(ErrorCode::kFailure, "cannot list " + dir.string() + ": " + e.what());
  }
  std::sort(m.files_.begin(), m.files_.end(), [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; });
  LinkResolver(m.files_).check_links(dir.string());
  std::sort(hooks.begin(), hooks.end(), [](const HookSpec& a, const HookSpec& b) { return a.kind < b.kind; });
  validate_hooks(hooks, m.files_, dir.string(), "of this release folder");
  m.hooks_ = std::move(hooks);
  if (launch) validate_launch(m, *launch, dir.string(), "in this release folder");
  m.launch_ = std::move(launch);
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

const FileEntry* FileManifest::resolve(std::string_view path) const { return LinkResolver(files_).resolve(path); }

std::string FileManifest::to_json() const {
  Json files = Json::array();
  bool links = false;
  for (const FileEntry& f : files_) {
    Json e = Json::object();
    e["path"] = Json(f.path);
    if (f.is_link()) {
      e["link"] = Json(f.link);
      links = true;
    } else {
      e["mode"] = Json(static_cast<int64_t>(f.mode));
      e["sha256"] = Json(f.sha256);
      e["size"] = Json(static_cast<int64_t>(f.size));
    }
    files.push_back(std::move(e));
  }
  Json doc = Json::object();
  doc["files"] = std::move(files);
  // The lowest format that holds it, so older clients still read what they can.
  doc["format"] = Json(links || launch_ ? kFormatWithLaunch : hooks_.empty() ? kFormat : kFormatWithHooks);
  if (!hooks_.empty()) doc["hooks"] = hooks_to_json(hooks_);
  if (launch_) doc["launch"] = launch_->to_json();
  doc["version"] = Json(version_);
  return doc.dump_canonical();
}

namespace {

// One name of a version folder: its path, type ('f' file, 'd' folder, 'l'
// symlink, ...) and a symlink's target.
struct ListingLine {
  std::string_view path;
  char type;
  std::string_view target;
};

// "d a\n", "f a/b\n", "l a/c\tb\n" ... sorted by path: the canonical text
// both digests hash, built without a string per line and hashed in one call.
// (A tab or newline is in no safe path or link target.)
std::string digest_of_listing(std::vector<ListingLine>& lines) {
  std::sort(lines.begin(), lines.end(), [](const ListingLine& a, const ListingLine& b) { return a.path < b.path; });
  size_t total = 0;
  for (const auto& l : lines) total += l.path.size() + l.target.size() + 4;
  std::string text;
  text.reserve(total);
  for (const auto& l : lines) {
    text += l.type;
    text += ' ';
    text += l.path;
    if (l.type == 'l') {
      text += '\t';
      text += l.target;
    }
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
  for (const auto& d : dirs) lines.push_back({d, 'd', {}});
  for (const FileEntry& f : files_) lines.push_back({f.path, f.is_link() ? 'l' : 'f', f.link});
  return digest_of_listing(lines);
}

std::string FileManifest::listing_digest_of(const stdfs::path& dir) {
  std::vector<fs::TreeEntry> entries = fs::list_tree(dir);
  std::vector<std::string> targets;  // one readlink per symlink; reserved, so views stay valid
  targets.reserve(entries.size());
  std::vector<ListingLine> lines;
  lines.reserve(entries.size());
  for (const auto& e : entries) {
    std::string_view target;
    if (e.type == fs::TreeEntry::Type::kSymlink) {
      auto t = fs::read_symlink(dir / e.path);
      target = targets.emplace_back(t ? t->string() : std::string());
    }
    lines.push_back({e.path, static_cast<char>(e.type), target});
  }
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

  // 1. Nothing beyond the list: no extra files, folders or links, no devices.
  try {
    for (const auto& entry : stdfs::recursive_directory_iterator(dir)) {
      std::string rel = relative_name(entry.path(), dir);
      stdfs::file_type t = entry.symlink_status().type();
      if (t == stdfs::file_type::directory) {
        if (!dirs.count(rel)) differs(rel, "unexpected directory (not implied by any file in the manifest)");
      } else if (t == stdfs::file_type::regular || t == stdfs::file_type::symlink) {
        if (!find(rel))
          differs(rel, std::string("unexpected ") + (t == stdfs::file_type::symlink ? "symlink" : "file") +
                           " (not in the manifest)");
      } else {
        differs(rel, std::string("is ") + type_name(t) + ", expected only regular files, directories and symlinks");
      }
    }
  } catch (const stdfs::filesystem_error& e) {
    fail(ErrorCode::kVerification, "cannot list " + dir.string() + ": " + e.what());
  }

  // 2. Every listed entry, lstat only (and readlink for a link): cost does not grow with file size.
  for (const FileEntry& f : files_) {
    stdfs::path p = dir / f.path;
    stdfs::file_status st = stdfs::symlink_status(p, ec);
    if (st.type() == stdfs::file_type::not_found || st.type() == stdfs::file_type::none) differs(f.path, "missing");
    if (f.is_link()) {
      if (st.type() != stdfs::file_type::symlink)
        differs(f.path, std::string("is ") + type_name(st.type()) + ", expected a symlink to '" + f.link + "'");
      std::string got = stdfs::read_symlink(p, ec).string();
      if (ec || got != f.link) differs(f.path, "is a symlink to '" + got + "', expected one to '" + f.link + "'");
      continue;
    }
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
    if (f.is_link()) continue;
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
