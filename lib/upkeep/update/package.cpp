#include "upkeep/update/package.h"

#include <Poco/Exception.h>
#include <Poco/Zip/ZipArchive.h>
#include <Poco/Zip/ZipStream.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/platform/fault_injection.h"
#include "upkeep/platform/fs.h"
#include "upkeep/update/zip_directory.h"
#include "upkeep/update/zip_writer.h"

namespace upkeep {

namespace stdfs = std::filesystem;

using zip::CentralDirectory;
using zip::CentralEntry;
using zip::kTypeDir;
using zip::kTypeMask;
using zip::kTypeRegular;
using zip::kTypeSymlink;
using zip::printable;
using zip::read_central_directory;
using zip::ZipFile;

namespace {

[[noreturn]] void bad_entry(const stdfs::path& zip, std::string_view name, const std::string& why) {
  fail(ErrorCode::kVerification, zip.string() + ": entry '" + printable(name) + "' " + why);
}

// Checks every entry against the manifest before anything is written. An
// archive's symlink is accepted only where the manifest lists that name as
// a link (its content, the target, is compared when extracted).
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
    if (type != 0 && type != kTypeRegular && type != kTypeDir && type != kTypeSymlink)
      bad_entry(zip, e.name, "is a special file (a release holds regular files, folders and symlinks only)");
    if (is_dir) {
      if (type == kTypeSymlink) bad_entry(zip, e.name, "is a symlink named like a directory");
      if (!implied_dirs.count(name)) bad_entry(zip, e.name, "is a directory that no file of the manifest lies in");
      if (e.uncompressed != 0) bad_entry(zip, e.name, "is a directory entry with data");
      continue;
    }
    if (type == kTypeDir) bad_entry(zip, e.name, "is marked as a directory but its name does not end in '/'");
    const FileEntry* f = manifest.find(name);
    if (!f)
      bad_entry(zip, e.name,
                std::string("is ") + (type == kTypeSymlink ? "a symlink " : "") + "not listed in the manifest");
    if (type == kTypeSymlink && !f->is_link())
      bad_entry(zip, e.name, "is a symlink, the manifest lists a regular file there");
    if (f->is_link() && type != kTypeSymlink)
      bad_entry(zip, e.name, "is not a symlink, the manifest lists a link to '" + f->link + "' there");
    const uint64_t size = f->is_link() ? f->link.size() : f->size;
    if (e.uncompressed != size) {
      bad_entry(
          zip, e.name,
          "has size " + std::to_string(e.uncompressed) + " in the archive, the manifest says " + std::to_string(size));
    }
    if (e.method != 0 && e.method != 8) {
      fail(ErrorCode::kBadInput, zip.string() + ": entry '" + printable(e.name) +
                                     "' uses unsupported compression method " + std::to_string(e.method));
    }
  }
  for (const FileEntry& f : manifest.files()) {
    if (!seen.count(f.path))
      fail(ErrorCode::kVerification, zip.string() + ": " + (f.is_link() ? "link '" : "file '") + f.path +
                                         "' of the manifest is missing from the archive");
  }
}

[[noreturn]] void fail_write(const stdfs::path& path, int err) {
  if (err == ENOSPC || err == EDQUOT)
    fail(ErrorCode::kNoSpace, "not enough space: cannot write " + path.string() + ": " + std::strerror(err));
  fail(ErrorCode::kFailure, "cannot write " + path.string() + ": " + std::strerror(err));
}

// Decompresses one entry, handing each piece to `sink`, never more than
// `limit` bytes (`name` and `zip` for messages); returns the bytes read.
uint64_t stream_entry(std::istream& in, const Poco::Zip::ZipLocalFileHeader& header, uint64_t limit,
                      const std::string& name, const stdfs::path& zip,
                      const std::function<void(const char*, uint64_t)>& sink) {
  in.clear();
  Poco::Zip::ZipInputStream zin(in, header, true);
  zin.exceptions(std::ios::badbit);  // let decompression errors surface with their message
  uint64_t total = 0;
  std::vector<char> buf(1 << 16);
  while (true) {
    try {
      zin.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    } catch (const Poco::Exception& e) {
      fail(ErrorCode::kBadInput,
           zip.string() + ": entry '" + name + "' cannot be decompressed (" + e.displayText() + ")");
    }
    auto n = static_cast<uint64_t>(zin.gcount());
    if (n == 0) break;
    if (n > limit - total) {
      bad_entry(zip, name,
                "holds more than the " + std::to_string(limit) + " bytes the manifest lists (extraction stopped)");
    }
    sink(buf.data(), n);
    total += n;
  }
  if (total != limit) {
    bad_entry(zip, name, "holds only " + std::to_string(total) + " bytes, the manifest lists " + std::to_string(limit));
  }
  return total;
}

// Streams one entry into the new file `out_path`, hashing as it goes and
// never writing past the manifest size, and gives it the manifest's mode.
// Not fsynced: the caller makes the whole tree durable at once (fs::sync_tree).
void extract_entry(std::istream& in, const Poco::Zip::ZipLocalFileHeader& header, const FileEntry& f,
                   const stdfs::path& out_path, const stdfs::path& zip) {
  // O_EXCL and O_NOFOLLOW: never through an existing file or link.
  int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) fail_write(out_path, errno);
  struct Closer {
    int& fd;
    ~Closer() {
      if (fd >= 0) ::close(fd);
    }
  } closer{fd};
  Hasher hasher;
  stream_entry(in, header, f.size, f.path, zip, [&](const char* data, uint64_t n) {
    hasher.update(data, n);
    for (uint64_t done = 0; done < n;) {
      ssize_t w = ::write(fd, data + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) fail_write(out_path, errno);
      done += static_cast<uint64_t>(w);
    }
  });
  std::string got = hasher.hex_digest();
  if (got != f.sha256) bad_entry(zip, f.path, "has SHA-256 " + got + ", the manifest says " + f.sha256);
  if (::fchmod(fd, f.mode) != 0) fs::fail_errno("cannot set the mode of", out_path, errno);
  int rc = ::close(fd);
  fd = -1;
  if (rc != 0) fail_write(out_path, errno);
}

// A link entry's content must be the manifest's target, byte for byte; the
// link is then made from the manifest, never from the archive.
void extract_link(std::istream& in, const Poco::Zip::ZipLocalFileHeader& header, const FileEntry& f,
                  const stdfs::path& out_path, const stdfs::path& zip) {
  std::string target;
  stream_entry(in, header, f.link.size(), f.path, zip,
               [&](const char* data, uint64_t n) { target.append(data, static_cast<size_t>(n)); });
  if (target != f.link)
    bad_entry(zip, f.path, "is a link to '" + printable(target) + "', the manifest says '" + f.link + "'");
  stdfs::create_symlink(f.link, out_path);
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
    std::set<stdfs::path> made{tmp};  // folders known to exist: one mkdir per folder, none per file
    // Links last: no file is ever written while a link of the archive's exists.
    for (bool links : {false, true}) {
      for (const FileEntry& f : manifest.files()) {
        if (f.is_link() != links) continue;
        auto header = archive.findHeader(f.path);
        if (header == archive.headerEnd()) bad_entry(zip, f.path, "has no local header");
        stdfs::path out_path = tmp / f.path;
        if (made.insert(out_path.parent_path()).second) stdfs::create_directories(out_path.parent_path());
        if (links)
          extract_link(in, header->second, f, out_path, zip);
        else
          extract_entry(in, header->second, f, out_path, zip);
      }
    }
    // Every file written and checked, none synced yet: durable in one pass,
    // before the caller renames the folder into place (docs/architecture.md).
    crash_point("stage.written");
    fs::sync_tree(tmp);
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

void create_package(const stdfs::path& source_dir, const FileManifest& manifest, const stdfs::path& zip_path,
                    int deflate_level) {
  std::error_code ec;
  if (!stdfs::is_directory(stdfs::symlink_status(source_dir, ec))) {
    fail(ErrorCode::kNotFound, source_dir.string() + ": is not a directory (expected the build folder of a release)");
  }
  const stdfs::path tmp = zip_path.string() + ".tmp";
  try {
    fs::remove_tree(tmp);
    {
      zip::ZipWriter zip(tmp, deflate_level);
      for (const FileEntry& f : manifest.files()) {  // sorted by path: the archive order
        if (f.is_link())
          zip.add_link(f.path, f.link);  // a link's content is its target (Info-ZIP's convention)
        else
          zip.add_file(f.path, source_dir / f.path, f.mode);
      }
      zip.finish();
    }
    fs::fsync_file(tmp);
    fs::rename_durable(tmp, zip_path);
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
    ZipFile zip(zip_path);
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
  if (f.is_link()) fail(ErrorCode::kFailure, f.path + ": is a symlink of the release, not a file to extract");
  std::error_code ec;
  if (stdfs::symlink_status(dest, ec).type() != stdfs::file_type::not_found)
    fail(ErrorCode::kExists, dest.string() + ": already exists (extraction needs a fresh file name)");
  CentralDirectory cd;
  {
    ZipFile zip(zip_path);
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
    fs::fsync_file(dest);
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
