#include "package.h"

#include <Poco/DateTime.h>
#include <Poco/Exception.h>
#include <Poco/Path.h>
#include <Poco/Zip/Compress.h>
#include <Poco/Zip/ZipArchive.h>
#include <Poco/Zip/ZipStream.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "error.h"
#include "fs.h"
#include "hash.h"

namespace upkeep {

namespace stdfs = std::filesystem;

namespace {

// --- Zip structures (APPNOTE.TXT 4.3) ------------------------------------
// We read the central directory ourselves because Poco's ZipArchive keeps
// entries in a map (a duplicate name asserts instead of being reported) and
// does not expose the external attributes that mark symlinks.
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kEnd64LocatorSig = 0x07064b50;
constexpr uint32_t kEnd64Sig = 0x06064b50;
constexpr size_t kCentralFixed = 46;
constexpr size_t kEndFixed = 22;
constexpr uint64_t kMaxCentralDirectory = 64u << 20;  // far above any real release, bounds memory
constexpr uint32_t kUnixHost = 3;
constexpr uint32_t kTypeMask = 0170000, kTypeRegular = 0100000, kTypeDir = 0040000, kTypeSymlink = 0120000;

uint64_t le(const std::string& b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<size_t>(i)]);
  return v;
}
void put_le(std::string& b, size_t at, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b[at + static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
}

struct CentralEntry {
  std::string name;
  size_t record_offset = 0;  // within the central directory bytes
  uint32_t made_by = 0, flags = 0, method = 0, external = 0;
  uint64_t compressed = 0, uncompressed = 0;
};

struct CentralDirectory {
  uint64_t offset = 0;
  std::string bytes;
  std::vector<CentralEntry> entries;
};

// Names as they appear in messages: control bytes escaped so a hostile name cannot forge log lines.
std::string printable(std::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Random-access reads of a whole zip file; every failure is a kBadInput naming the archive.
class ZipFile {
 public:
  ZipFile(const stdfs::path& path, const char* mode) : path_(path), f_(std::fopen(path.c_str(), mode)) {
    if (!f_) fail(ErrorCode::kBadInput, path.string() + ": cannot open the archive: " + std::strerror(errno));
    if (std::fseek(f_, 0, SEEK_END) != 0 || (size_ = std::ftell(f_)) < 0) {
      std::fclose(f_);
      corrupt("cannot find its size");
    }
  }
  ~ZipFile() { std::fclose(f_); }
  ZipFile(const ZipFile&) = delete;
  ZipFile& operator=(const ZipFile&) = delete;
  uint64_t size() const { return static_cast<uint64_t>(size_); }
  std::string read(uint64_t at, uint64_t n) {
    if (at > size() || n > size() - at) corrupt("a record points past the end of the file");
    std::string buf(n, '\0');
    if (std::fseek(f_, static_cast<long>(at), SEEK_SET) != 0 || std::fread(buf.data(), 1, n, f_) != n) {
      corrupt("read error");
    }
    return buf;
  }
  void write(uint64_t at, const std::string& data) {
    if (std::fseek(f_, static_cast<long>(at), SEEK_SET) != 0 ||
        std::fwrite(data.data(), 1, data.size(), f_) != data.size() || std::fflush(f_) != 0) {
      fail(errno == ENOSPC ? ErrorCode::kNoSpace : ErrorCode::kFailure,
           path_.string() + ": cannot write: " + std::strerror(errno));
    }
  }
  [[noreturn]] void corrupt(const std::string& why) const {
    fail(ErrorCode::kBadInput, path_.string() + ": not a readable zip archive (" + why + ")");
  }

 private:
  stdfs::path path_;
  std::FILE* f_;
  long size_ = 0;
};

CentralDirectory read_central_directory(ZipFile& zip) {
  // The end record is the last 22 bytes plus a comment of at most 64 KiB.
  uint64_t tail_len = std::min<uint64_t>(zip.size(), kEndFixed + 0xffff);
  if (tail_len < kEndFixed) zip.corrupt("too short");
  uint64_t tail_at = zip.size() - tail_len;
  std::string tail = zip.read(tail_at, tail_len);
  size_t end = std::string::npos;
  for (size_t i = tail.size() - kEndFixed + 1; i-- > 0;) {
    if (le(tail, i, 4) == kEndSig && i + kEndFixed + le(tail, i + 20, 2) == tail.size()) {
      end = i;
      break;
    }
  }
  if (end == std::string::npos) zip.corrupt("no end of central directory record");
  if (le(tail, end + 4, 2) != 0 || le(tail, end + 6, 2) != 0) zip.corrupt("multi-disk archives are not supported");
  uint64_t count = le(tail, end + 10, 2), size = le(tail, end + 12, 4), offset = le(tail, end + 16, 4);
  if (count == 0xffff || size == 0xffffffff || offset == 0xffffffff) {
    if (tail_at + end < 20) zip.corrupt("zip64 locator missing");
    std::string loc = zip.read(tail_at + end - 20, 20);
    if (le(loc, 0, 4) != kEnd64LocatorSig) zip.corrupt("zip64 locator missing");
    std::string end64 = zip.read(le(loc, 8, 8), 56);
    if (le(end64, 0, 4) != kEnd64Sig) zip.corrupt("bad zip64 end record");
    count = le(end64, 32, 8), size = le(end64, 40, 8), offset = le(end64, 48, 8);
  }
  if (size > kMaxCentralDirectory || count > size / kCentralFixed) zip.corrupt("implausible central directory size");
  CentralDirectory cd;
  cd.offset = offset;
  cd.bytes = zip.read(offset, size);
  const std::string& b = cd.bytes;
  size_t at = 0;
  for (uint64_t i = 0; i < count; ++i) {
    if (at + kCentralFixed > b.size() || le(b, at, 4) != kCentralSig) zip.corrupt("bad central directory entry");
    CentralEntry e;
    e.record_offset = at;
    e.made_by = static_cast<uint32_t>(le(b, at + 4, 2));
    e.flags = static_cast<uint32_t>(le(b, at + 8, 2));
    e.method = static_cast<uint32_t>(le(b, at + 10, 2));
    e.compressed = le(b, at + 20, 4);
    e.uncompressed = le(b, at + 24, 4);
    size_t name_len = le(b, at + 28, 2), extra_len = le(b, at + 30, 2), comment_len = le(b, at + 32, 2);
    e.external = static_cast<uint32_t>(le(b, at + 38, 4));
    if (at + kCentralFixed + name_len + extra_len + comment_len > b.size()) zip.corrupt("truncated central directory");
    e.name = b.substr(at + kCentralFixed, name_len);
    // Zip64 extended information: only the fields whose 32-bit value is saturated are present.
    size_t x = at + kCentralFixed + name_len, x_end = x + extra_len;
    while (x + 4 <= x_end) {
      size_t tag = le(b, x, 2), len = le(b, x + 2, 2), p = x + 4;
      if (p + len > x_end) zip.corrupt("bad extra field in entry '" + printable(e.name) + "'");
      if (tag == 1) {
        for (uint64_t* v : {&e.uncompressed, &e.compressed}) {
          if (*v != 0xffffffff) continue;
          if (p + 8 > x + 4 + len) zip.corrupt("bad zip64 field in entry '" + printable(e.name) + "'");
          *v = le(b, p, 8), p += 8;
        }
      }
      x += 4 + len;
    }
    cd.entries.push_back(std::move(e));
    at += kCentralFixed + name_len + extra_len + comment_len;
  }
  return cd;
}

// Gives every entry Info-ZIP style Unix attributes: host "Unix" in version-made-by and
// st_mode in the high 16 bits of the external attributes (Poco writes a fixed 0640).
void set_unix_modes(const stdfs::path& zip_path, const std::map<std::string, uint32_t>& modes) {
  ZipFile zip(zip_path, "r+b");
  CentralDirectory cd = read_central_directory(zip);
  for (const CentralEntry& e : cd.entries) {
    uint32_t attrs;
    if (!e.name.empty() && e.name.back() == '/') {
      attrs = ((kTypeDir | 0755u) << 16) | 0x10;  // 0x10: MS-DOS directory bit
    } else {
      auto it = modes.find(e.name);
      if (it == modes.end())
        fail(ErrorCode::kFailure,
             zip_path.string() + ": zip writer stored an unexpected name '" + printable(e.name) + "'");
      attrs = (kTypeRegular | it->second) << 16;
    }
    put_le(cd.bytes, e.record_offset + 4, (kUnixHost << 8) | (e.made_by & 0xff), 2);
    put_le(cd.bytes, e.record_offset + 38, attrs, 4);
  }
  zip.write(cd.offset, cd.bytes);
}

[[noreturn]] void bad_entry(const stdfs::path& zip, std::string_view name, const std::string& why) {
  fail(ErrorCode::kVerification, zip.string() + ": entry '" + printable(name) + "' " + why);
}

// Checks every entry against the manifest before anything is written.
void check_entries(const stdfs::path& zip, const CentralDirectory& cd, const FileManifest& manifest) {
  std::set<std::string, std::less<>> implied_dirs;
  for (const FileEntry& f : manifest.files()) {
    for (size_t s = f.path.find('/'); s != std::string::npos; s = f.path.find('/', s + 1))
      implied_dirs.insert(f.path.substr(0, s));
  }
  std::set<std::string, std::less<>> seen;
  for (const CentralEntry& e : cd.entries) {
    bool is_dir = !e.name.empty() && e.name.back() == '/';
    std::string name = is_dir ? e.name.substr(0, e.name.size() - 1) : e.name;
    std::string why;
    if (!is_safe_relative_path(name, &why)) bad_entry(zip, e.name, "has an unsafe name: it " + why);
    if (!seen.insert(name).second) bad_entry(zip, e.name, "appears twice in the archive");
    if (e.flags & 1) bad_entry(zip, e.name, "is encrypted");
    uint32_t type = (e.external >> 16) & kTypeMask;
    if (type == kTypeSymlink) bad_entry(zip, e.name, "is a symlink (a release holds regular files only)");
    if (type != 0 && type != kTypeRegular && type != kTypeDir)
      bad_entry(zip, e.name, "is a special file (a release holds regular files only)");
    if (is_dir) {
      if (!implied_dirs.count(name)) bad_entry(zip, e.name, "is a directory that no file of the manifest lies in");
      if (e.uncompressed != 0) bad_entry(zip, e.name, "is a directory entry with data");
      continue;
    }
    if (type == kTypeDir) bad_entry(zip, e.name, "is marked as a directory but its name does not end in '/'");
    const FileEntry* f = manifest.find(name);
    if (!f) bad_entry(zip, e.name, "is not listed in the manifest");
    if (e.uncompressed != f->size) {
      bad_entry(zip, e.name,
                "has size " + std::to_string(e.uncompressed) + " in the archive, the manifest says " +
                    std::to_string(f->size));
    }
    if (e.method != 0 && e.method != 8) {
      fail(ErrorCode::kBadInput, zip.string() + ": entry '" + printable(e.name) +
                                     "' uses unsupported compression method " + std::to_string(e.method));
    }
  }
  for (const FileEntry& f : manifest.files()) {
    if (!seen.count(f.path))
      fail(ErrorCode::kVerification,
           zip.string() + ": file '" + f.path + "' of the manifest is missing from the archive");
  }
}

[[noreturn]] void fail_write(const stdfs::path& path, int err) {
  if (err == ENOSPC || err == EDQUOT)
    fail(ErrorCode::kNoSpace, "not enough space: cannot write " + path.string() + ": " + std::strerror(err));
  fail(ErrorCode::kFailure, "cannot write " + path.string() + ": " + std::strerror(err));
}

// Streams one entry into `out_path`, hashing as it goes and never writing past the manifest size.
void extract_entry(std::istream& in, const Poco::Zip::ZipLocalFileHeader& header, const FileEntry& f,
                   const stdfs::path& out_path, const stdfs::path& zip) {
  std::FILE* out = std::fopen(out_path.c_str(), "wbx");  // 'x': O_EXCL, never through an existing link
  if (!out) fail_write(out_path, errno);
  struct Closer {
    std::FILE*& f;
    ~Closer() {
      if (f) std::fclose(f);
    }
  } closer{out};
  in.clear();
  Poco::Zip::ZipInputStream zin(in, header, true);
  zin.exceptions(std::ios::badbit);  // let decompression errors surface with their message
  Hasher hasher;
  uint64_t total = 0;
  std::vector<char> buf(1 << 16);
  while (true) {
    try {
      zin.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    } catch (const Poco::Exception& e) {
      fail(ErrorCode::kBadInput,
           zip.string() + ": entry '" + f.path + "' cannot be decompressed (" + e.displayText() + ")");
    }
    auto n = static_cast<uint64_t>(zin.gcount());
    if (n == 0) break;
    if (n > f.size - total) {
      bad_entry(zip, f.path,
                "holds more than the " + std::to_string(f.size) + " bytes the manifest lists (extraction stopped)");
    }
    hasher.update(buf.data(), n);
    if (std::fwrite(buf.data(), 1, n, out) != n) fail_write(out_path, errno);
    total += n;
  }
  if (total != f.size) {
    bad_entry(zip, f.path,
              "holds only " + std::to_string(total) + " bytes, the manifest lists " + std::to_string(f.size));
  }
  std::string got = hasher.hex_digest();
  if (got != f.sha256) bad_entry(zip, f.path, "has SHA-256 " + got + ", the manifest says " + f.sha256);
  int rc = std::fclose(out);
  out = nullptr;
  if (rc != 0) fail_write(out_path, errno);
  // Data first (the file is still readable by us), then the final mode; the
  // directory fsync that follows commits the mode change with the entry.
  fs::fsync_file(out_path);
  fs::set_file_mode(out_path, f.mode);
}

void extract_into(const stdfs::path& zip, const CentralDirectory& cd, const stdfs::path& tmp,
                  const FileManifest& manifest) {
  std::ifstream in(zip, std::ios::binary);
  if (!in) fail(ErrorCode::kBadInput, zip.string() + ": cannot open the archive");
  try {
    Poco::Zip::ZipArchive archive(in);
    size_t local_count = static_cast<size_t>(std::distance(archive.headerBegin(), archive.headerEnd()));
    if (local_count != cd.entries.size()) {
      fail(ErrorCode::kVerification, zip.string() + ": " + std::to_string(local_count) + " local headers but " +
                                         std::to_string(cd.entries.size()) + " central directory entries");
    }
    if (!stdfs::create_directory(tmp)) fail(ErrorCode::kFailure, tmp.string() + ": could not be created");
    std::vector<stdfs::path> dirs{tmp};
    for (const FileEntry& f : manifest.files()) {
      auto header = archive.findHeader(f.path);
      if (header == archive.headerEnd()) bad_entry(zip, f.path, "has no local header");
      stdfs::path out_path = tmp / f.path;
      for (stdfs::path d = out_path.parent_path(); d != tmp && !stdfs::exists(d); d = d.parent_path()) {
        dirs.push_back(d);
      }
      stdfs::create_directories(out_path.parent_path());
      extract_entry(in, header->second, f, out_path, zip);
    }
    // Deepest first, so each folder's entry in its parent is synced after its content.
    std::sort(dirs.begin(), dirs.end(),
              [](const stdfs::path& a, const stdfs::path& b) { return a.native().size() > b.native().size(); });
    for (const stdfs::path& d : dirs) fs::fsync_dir(d);
  } catch (const Poco::Exception& e) {
    fail(ErrorCode::kBadInput, zip.string() + ": not a readable zip archive (" + e.displayText() + ")");
  } catch (const stdfs::filesystem_error& e) {
    int err = e.code().value();
    if (err == ENOSPC || err == EDQUOT) fail(ErrorCode::kNoSpace, std::string("not enough space: ") + e.what());
    fail(ErrorCode::kFailure, e.what());
  }
}

stdfs::path without_trailing_slash(const stdfs::path& p) {
  stdfs::path n = p.lexically_normal();
  return n.has_filename() ? n : n.parent_path();
}

}  // namespace

void create_package(const stdfs::path& source_dir, const stdfs::path& zip_path) {
  std::error_code ec;
  if (!stdfs::is_directory(stdfs::symlink_status(source_dir, ec))) {
    fail(ErrorCode::kNotFound, source_dir.string() + ": is not a directory (expected the build folder of a release)");
  }
  std::map<std::string, uint32_t> modes;  // sorted by name: the archive order
  std::map<std::string, stdfs::path> sources;
  bool zip64 = false;
  try {
    for (const auto& entry : stdfs::recursive_directory_iterator(source_dir)) {
      stdfs::file_status st = entry.symlink_status();
      if (st.type() == stdfs::file_type::directory) continue;
      if (st.type() != stdfs::file_type::regular) {
        fail(ErrorCode::kBadInput, entry.path().string() + ": is " +
                                       (st.type() == stdfs::file_type::symlink ? "a symlink" : "a special file") +
                                       " (a release may hold only regular files and directories)");
      }
      std::string rel = entry.path().lexically_relative(source_dir).generic_string();
      std::string why;
      if (!is_safe_relative_path(rel, &why))
        fail(ErrorCode::kBadInput, entry.path().string() + ": name '" + printable(rel) + "' " + why);
      modes[rel] = static_cast<uint32_t>(st.permissions()) & 07777;
      sources[rel] = entry.path();
      zip64 = zip64 || entry.file_size() >= 0xffffffffu;
    }
  } catch (const stdfs::filesystem_error& e) {
    fail(ErrorCode::kFailure, "cannot list " + source_dir.string() + ": " + e.what());
  }

  const stdfs::path tmp = zip_path.string() + ".tmp";
  try {
    fs::remove_tree(tmp);
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) fail_write(tmp, errno);
      Poco::Zip::Compress compress(out, true, zip64);
      // A fixed time stamp: the same folder always gives the same bytes.
      const Poco::DateTime stamp(1980, 1, 1);
      for (const auto& [rel, src] : sources) {
        std::ifstream in(src, std::ios::binary);
        if (!in) fail(ErrorCode::kFailure, "cannot read " + src.string());
        compress.addFile(in, stamp, Poco::Path(rel, Poco::Path::PATH_UNIX), Poco::Zip::ZipCommon::CM_DEFLATE,
                         Poco::Zip::ZipCommon::CL_NORMAL);
      }
      compress.close();
      out.flush();
      if (!out) fail_write(tmp, errno);
    }
    set_unix_modes(tmp, modes);
    fs::fsync_file(tmp);
    fs::rename_durable(tmp, zip_path);
  } catch (const Poco::Exception& e) {
    std::error_code ignore;
    stdfs::remove(tmp, ignore);
    fail(ErrorCode::kFailure, zip_path.string() + ": cannot write the archive: " + e.displayText());
  } catch (...) {
    std::error_code ignore;
    stdfs::remove(tmp, ignore);
    throw;
  }
}

void extract_package(const stdfs::path& zip_path, const stdfs::path& dest_dir, const FileManifest& manifest) {
  const stdfs::path dest = without_trailing_slash(dest_dir);
  std::error_code ec;
  if (stdfs::symlink_status(dest, ec).type() != stdfs::file_type::not_found) {
    fail(ErrorCode::kExists, dest.string() + ": already exists (extraction needs a fresh folder)");
  }
  const stdfs::path parent = dest.has_parent_path() ? dest.parent_path() : stdfs::path(".");
  fs::create_directories_durable(parent);
  uint64_t need = manifest.total_size(), available = fs::available_bytes(parent);
  if (need > available) {
    fail(ErrorCode::kNoSpace, "not enough space: need " + std::to_string(need) + " bytes, " +
                                  std::to_string(available) + " available on " + parent.string());
  }

  CentralDirectory cd;
  {
    ZipFile zip(zip_path, "rb");
    cd = read_central_directory(zip);
  }
  check_entries(zip_path, cd, manifest);

  const stdfs::path tmp = dest.string() + ".tmp-extract";
  fs::remove_tree(tmp);  // left over from an interrupted run
  try {
    extract_into(zip_path, cd, tmp, manifest);
    fs::rename_durable(tmp, dest);
  } catch (...) {
    std::error_code ignore;
    stdfs::remove_all(tmp, ignore);
    throw;
  }
}

void extract_package_file(const stdfs::path& zip_path, const FileManifest& manifest, const FileEntry& f,
                          const stdfs::path& dest) {
  std::error_code ec;
  if (stdfs::symlink_status(dest, ec).type() != stdfs::file_type::not_found)
    fail(ErrorCode::kExists, dest.string() + ": already exists (extraction needs a fresh file name)");
  CentralDirectory cd;
  {
    ZipFile zip(zip_path, "rb");
    cd = read_central_directory(zip);
  }
  check_entries(zip_path, cd, manifest);  // the whole archive, as for a full extraction
  std::ifstream in(zip_path, std::ios::binary);
  if (!in) fail(ErrorCode::kBadInput, zip_path.string() + ": cannot open the archive");
  try {
    Poco::Zip::ZipArchive archive(in);
    auto header = archive.findHeader(f.path);
    if (header == archive.headerEnd()) bad_entry(zip_path, f.path, "has no local header");
    extract_entry(in, header->second, f, dest, zip_path);
  } catch (const Poco::Exception& e) {
    std::error_code ignore;
    stdfs::remove(dest, ignore);
    fail(ErrorCode::kBadInput, zip_path.string() + ": not a readable zip archive (" + e.displayText() + ")");
  } catch (...) {
    std::error_code ignore;
    stdfs::remove(dest, ignore);
    throw;
  }
}

}  // namespace upkeep
