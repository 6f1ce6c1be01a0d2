#include "upkeep/admin/offline_bundle.h"

#include <spdlog/spdlog.h>

#include <fstream>

#include "upkeep/admin/install_paths.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/delta/io.h"
#include "upkeep/platform/fs.h"
#include "upkeep/publish/repository_mirror.h"
#include "upkeep/update/package.h"
#include "upkeep/update/release_selector.h"

namespace upkeep::admin {
namespace stdfs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'U', 'P', 'K', 'B', 'N', 'D', '0', '1'};
constexpr uint64_t kTrailerSize = 8 + 4 * 8;
constexpr int64_t kFormat = 1;

// Appends `length` bytes of `from`, starting at `offset`, to `to`.
void copy_range(std::ifstream& from, const stdfs::path& from_path, uint64_t offset, uint64_t length, fs::File& to) {
  from.clear();
  from.seekg(static_cast<std::streamoff>(offset));
  std::string buf(1 << 20, '\0');
  while (length > 0) {
    const auto n = static_cast<std::streamsize>(std::min<uint64_t>(length, buf.size()));
    if (!from.read(buf.data(), n))
      fail(ErrorCode::kBadBundle, from_path.string() + ": cannot read " + std::to_string(n) + " bytes at offset " +
                                      std::to_string(offset) + " (truncated?)");
    to.write(buf.data(), static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
    length -= static_cast<uint64_t>(n);
  }
}

void append_file(const stdfs::path& from, fs::File& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) fail(ErrorCode::kNotFound, "cannot read " + from.string());
  std::error_code ec;
  const uint64_t size = stdfs::file_size(from, ec);
  if (ec) fail(ErrorCode::kNotFound, "cannot read " + from.string() + ": " + ec.message());
  copy_range(in, from, 0, size, to);
}

void copy_program(const stdfs::path& from, const stdfs::path& to) {
  if (!stdfs::is_regular_file(from)) fail(ErrorCode::kNotFound, "cannot find " + from.string() + " to bundle it");
  fs::create_directories_durable(to.parent_path());
  stdfs::copy_file(from, to, stdfs::copy_options::overwrite_existing);
  fs::set_file_mode(to, 0755);
}

[[noreturn]] void bad_bundle(const std::string& file, const std::string& why) {
  fail(ErrorCode::kBadBundle, "bundle " + file + ": " + why);
}

Json facts_json(const BundleFacts& f, const FileManifest& payload) {
  Json j = Json::object();
  j["format"] = kFormat;
  j["app_id"] = f.app_id;
  j["version"] = f.version;
  j["platform"] = f.platform;
  j["channel"] = f.channel;
  j["update_url"] = f.update_url;
  j["created"] = static_cast<int64_t>(f.created);
  j["payload"] = Json::parse(payload.to_json(), "payload listing");
  return j;
}

}  // namespace

BundleFacts OfflineBundle::write(const BundleOptions& o, net::Fetcher& fetcher) {
  const stdfs::path out = stdfs::absolute(o.output);
  if (o.update_url.empty()) fail(ErrorCode::kUsage, "bundle: the update URL is empty");
  // Beside the output, so the final rename stays on one file system.
  const stdfs::path work = out.parent_path() / ("." + out.filename().string() + ".work");
  stdfs::remove_all(work);
  fs::create_directories_durable(work);
  const fs::RemoveTreeOnExit cleanup(work);
  const stdfs::path payload = work / "payload";

  BundleFacts facts;
  facts.created = std::time(nullptr);  // before the metadata is checked, so it was unexpired then
  facts.platform = o.platform;
  facts.channel = o.channel;
  facts.update_url = o.update_url.back() == '/' ? o.update_url : o.update_url + "/";
  publish::MirrorOptions mirror{.source_url = o.repository_url, .dir = payload, .trusted_root = o.trusted_root};
  mirror.select = [&](const std::vector<tuf::TargetFile>& targets) {
    facts.app_id = o.app_id ? *o.app_id : sole_app_id(targets);
    SelectionCriteria c{.app_id = facts.app_id, .platform = o.platform, .channel = o.channel};
    c.exact_version = o.version;
    const auto release = select_release(targets, c);
    if (!release)
      fail(ErrorCode::kNotFound, "version " + o.version + " of " + facts.app_id + " for " + o.platform +
                                     " is not in the repository " + o.repository_url);
    facts.version = release->version;
    facts.channel = release->channel;
    return std::set<std::string>{release->package.path, release->manifest.path};
  };
  publish::RepositoryMirror(mirror, fetcher, o.progress).run();
  fs::remove_tree(payload / ".upkeep-mirror");
  copy_program(o.launcher_binary, payload / "bin" / "launcher");
  if (stdfs::exists(o.updater_binary)) copy_program(o.updater_binary, payload / "bin" / "upkeep-updater");

  assemble(o.program, payload, facts, out);
  spdlog::info("bundled {} {} ({}) into {}", facts.app_id, facts.version, facts.platform, out.string());
  return facts;
}

void OfflineBundle::assemble(const stdfs::path& program, const stdfs::path& payload, const BundleFacts& facts,
                             const stdfs::path& output) {
  const stdfs::path out = stdfs::absolute(output);
  const stdfs::path work = out.parent_path() / ("." + out.filename().string() + ".assemble");
  stdfs::remove_all(work);
  fs::create_directories_durable(work);
  const fs::RemoveTreeOnExit cleanup(work);
  const FileManifest listing = FileManifest::from_directory(payload, facts.version);
  const stdfs::path zip = work / "payload.zip";
  create_package(payload, listing, zip);
  const std::string json = facts_json(facts, listing).dump_canonical();

  const stdfs::path tmp = work / "bundle";
  {
    fs::File f(tmp);
    append_file(program, f);
    const uint64_t payload_offset = f.size();
    append_file(zip, f);
    const uint64_t json_offset = f.size();
    f.write(json.data(), json.size());
    std::string trailer(kMagic, sizeof kMagic);
    for (uint64_t v : {payload_offset, json_offset - payload_offset, json_offset, uint64_t{json.size()}})
      delta::put_le(trailer, v, 8);
    f.write(trailer.data(), trailer.size());
    f.sync();
  }
  fs::set_file_mode(tmp, 0755);
  fs::rename_durable(tmp, out);
}

bool OfflineBundle::is_bundle(const stdfs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  in.seekg(0, std::ios::end);
  const auto size = static_cast<uint64_t>(in.tellg());
  if (size < kTrailerSize) return false;
  in.seekg(static_cast<std::streamoff>(size - kTrailerSize));
  char magic[sizeof kMagic];
  return in.read(magic, sizeof magic) && std::equal(magic, magic + sizeof magic, kMagic);
}

OfflineBundle OfflineBundle::open(const stdfs::path& file) {
  const std::string name = file.string();
  std::error_code ec;
  if (!stdfs::is_regular_file(file, ec)) fail(ErrorCode::kNotFound, "bundle " + name + ": no such file");
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(ErrorCode::kNotFound, "bundle " + name + ": cannot be read");
  const uint64_t size = stdfs::file_size(file, ec);
  if (size < kTrailerSize)
    bad_bundle(name, "not an upkeep bundle: " + std::to_string(size) + " bytes, too short for its " +
                         std::to_string(kTrailerSize) + "-byte trailer");
  in.seekg(static_cast<std::streamoff>(size - kTrailerSize));
  unsigned char t[kTrailerSize];
  if (!in.read(reinterpret_cast<char*>(t), kTrailerSize)) bad_bundle(name, "cannot read its trailer");
  if (!std::equal(t, t + sizeof kMagic, reinterpret_cast<const unsigned char*>(kMagic)))
    bad_bundle(name, "not an upkeep bundle (expected the trailer \"UPKBND01\" at its end; was it cut short?)");
  const uint64_t payload_offset = delta::get_le(t + 8, 8), payload_size = delta::get_le(t + 16, 8);
  const uint64_t json_offset = delta::get_le(t + 24, 8), json_size = delta::get_le(t + 32, 8);
  const uint64_t end = size - kTrailerSize;
  if (json_size == 0 || json_size > kMaxJsonBytes || json_offset > end || json_size != end - json_offset)
    bad_bundle(name, "its trailer's bundle.json range (" + std::to_string(json_offset) + ", " +
                         std::to_string(json_size) + " bytes) does not end at the trailer of a " +
                         std::to_string(size) + "-byte file (truncated or damaged)");
  if (payload_size == 0 || payload_offset > json_offset || payload_size != json_offset - payload_offset)
    bad_bundle(name, "its trailer's payload range (" + std::to_string(payload_offset) + ", " +
                         std::to_string(payload_size) + " bytes) does not end where bundle.json starts (damaged)");
  std::string text(json_size, '\0');
  in.seekg(static_cast<std::streamoff>(json_offset));
  if (!in.read(text.data(), static_cast<std::streamsize>(json_size))) bad_bundle(name, "cannot read bundle.json");

  try {
    const Json j = Json::parse(text, "bundle.json");
    if (!j.is_object()) fail(ErrorCode::kBadInput, "bundle.json: expected an object");
    if (j.get_int("format") != kFormat)
      fail(ErrorCode::kBadInput, "bundle.json: format " + std::to_string(j.get_int("format")) + " (expected " +
                                     std::to_string(kFormat) + "; made by a newer upkeep?)");
    BundleFacts f;
    f.app_id = j.get_string("app_id");
    check_app_id(f.app_id);
    f.version = j.get_string("version");
    f.platform = j.get_string("platform");
    f.channel = j.get_string("channel");
    f.update_url = j.get_string("update_url");
    f.created = static_cast<std::time_t>(j.get_int("created"));
    const Json& listing = j.at("payload");
    if (!listing.is_object()) fail(ErrorCode::kBadInput, "bundle.json: 'payload' must be an object");
    FileManifest payload = FileManifest::parse(listing.dump_canonical(), "bundle.json payload");
    if (payload.version() != f.version)
      fail(ErrorCode::kBadInput,
           "bundle.json: the payload listing is of version " + payload.version() + ", the bundle of " + f.version);
    return OfflineBundle(file, std::move(f), std::move(payload), payload_offset, payload_size);
  } catch (const Error& e) {
    bad_bundle(name, e.what());
  }
}

void OfflineBundle::extract(const stdfs::path& dest) const {
  const stdfs::path zip = dest.string() + ".zip";
  const fs::RemoveTreeOnExit zip_cleanup(zip);
  {
    std::ifstream in(file_, std::ios::binary);
    if (!in) fail(ErrorCode::kNotFound, "bundle " + file_.string() + ": cannot be read");
    std::error_code ec;
    stdfs::remove(zip, ec);
    fs::File out(zip);
    copy_range(in, file_, payload_offset_, payload_size_, out);
  }
  try {
    extract_package(zip, dest, payload_);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kNoSpace) throw;
    fail(ErrorCode::kBadBundle, "bundle " + file_.string() + " is damaged: " + e.what());
  }
}

}  // namespace upkeep::admin
