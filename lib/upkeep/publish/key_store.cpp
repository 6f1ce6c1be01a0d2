#include "upkeep/publish/key_store.h"

#include <algorithm>

#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/platform/fs.h"
#include "upkeep/tuf/metadata.h"

namespace upkeep::publish {
namespace {

namespace stdfs = std::filesystem;

constexpr uint64_t kMaxKeyFileBytes = 1 << 20;
constexpr size_t kIdPrefix = 16;

std::unique_ptr<tuf::PrivateKey> read_key(const stdfs::path& path) {
  return tuf::PrivateKey::from_json(Json::parse(fs::read_file(path, kMaxKeyFileBytes), path.string()), path.string());
}

void make_private_dir(const stdfs::path& dir) {
  if (!stdfs::exists(dir)) fs::create_directories_durable(dir);
  fs::set_file_mode(dir, 0700);
}

}  // namespace

void validate_app_id(const std::string& app_id) {
  bool ok = !app_id.empty() && app_id.size() <= 64 && app_id[0] != '.';
  for (char c : app_id)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                c == '-');
  if (!ok)
    fail(ErrorCode::kUsage, "app id '" + app_id +
                                "' is not valid (expected 1-64 characters of letters, digits, '.', '_', '-', "
                                "not starting with '.')");
}

void validate_role(std::string_view role) {
  for (const char* r : tuf::kTopLevelRoles)
    if (role == r) return;
  fail(ErrorCode::kUsage, "unknown role '" + std::string(role) + "' (expected root, targets, snapshot or timestamp)");
}

stdfs::path KeyStore::folder(std::string_view role) const {
  return dir_ / (role == tuf::kRootRole ? "offline" : "online");
}

stdfs::path KeyStore::key_path(std::string_view role, std::string_view key_id) const {
  return folder(role) / (std::string(role) + "-" + std::string(key_id.substr(0, kIdPrefix)) + ".key");
}

KeyStore KeyStore::create(const stdfs::path& dir, const std::string& app_id, tuf::KeyType type,
                          const Expiries& expiries) {
  validate_app_id(app_id);
  KeyStore store(dir, app_id, expiries);
  if (stdfs::exists(dir / "vendor.json"))
    fail(ErrorCode::kExists, (dir / "vendor.json").string() + " already exists; refusing to overwrite signing keys");
  for (const char* role : tuf::kTopLevelRoles) {
    if (!store.key_files(role).empty())
      fail(ErrorCode::kExists,
           store.key_files(role).front().string() + " already exists; refusing to overwrite signing keys");
  }
  const bool dir_existed = stdfs::exists(dir);
  std::vector<stdfs::path> written;
  try {
    make_private_dir(dir);
    for (const char* role : tuf::kTopLevelRoles) {
      auto key = tuf::PrivateKey::generate(type);
      written.push_back(store.add_key(role, *key));
    }
    Json vendor = Json::object();
    vendor["app_id"] = app_id;
    vendor["expires"] = expiries_to_json(expiries);
    fs::write_file_atomic(dir / "vendor.json", vendor.dump(2) + "\n", 0644);
  } catch (...) {
    std::error_code ec;
    for (const auto& p : written) stdfs::remove(p, ec);
    for (const char* sub : {"offline", "online"}) stdfs::remove(dir / sub, ec);  // only when empty
    if (!dir_existed) stdfs::remove(dir, ec);
    throw;
  }
  return store;
}

KeyStore KeyStore::open(const stdfs::path& dir) {
  auto path = dir / "vendor.json";
  if (!stdfs::exists(path))
    fail(ErrorCode::kNotFound, path.string() + " not found (run 'upkeep keys init' first, or pass --keys DIR)");
  Json vendor = Json::parse(fs::read_file(path, kMaxKeyFileBytes), path.string());
  std::string app_id;
  try {
    app_id = vendor.get_string("app_id");
  } catch (const Error& e) {
    fail(ErrorCode::kBadInput, path.string() + ": " + e.what());
  }
  validate_app_id(app_id);
  Expiries expiries;
  if (const Json* e = vendor.find("expires")) expiries = expiries_from_json(*e, path.string());
  return KeyStore(dir, app_id, expiries);
}

std::vector<stdfs::path> KeyStore::key_files(std::string_view role) const {
  std::vector<stdfs::path> out;
  const std::string prefix = std::string(role) + "-";
  std::error_code ec;
  if (stdfs::is_directory(folder(role), ec)) {
    for (const auto& entry : stdfs::directory_iterator(folder(role))) {
      const std::string name = entry.path().filename().string();
      if (entry.is_regular_file() && name.rfind(prefix, 0) == 0 && name.size() > prefix.size() + 4 &&
          name.compare(name.size() - 4, 4, ".key") == 0)
        out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  stdfs::path legacy = dir_ / (std::string(role) + ".key");  // layout before the offline/online split
  if (stdfs::is_regular_file(legacy, ec)) out.push_back(legacy);
  return out;
}

std::vector<std::unique_ptr<tuf::PrivateKey>> KeyStore::load_keys(std::string_view role) const {
  validate_role(role);
  std::vector<std::unique_ptr<tuf::PrivateKey>> keys;
  for (const auto& path : key_files(role)) keys.push_back(read_key(path));
  return keys;
}

std::unique_ptr<tuf::PrivateKey> KeyStore::load_key(std::string_view role) const {
  auto keys = load_keys(role);
  if (keys.empty())
    fail(ErrorCode::kNotFound, (folder(role) / (std::string(role) + "-*.key")).string() +
                                   ": signing key not found (no " + std::string(role) + " key in this key folder)");
  return std::move(keys.front());
}

stdfs::path KeyStore::add_key(std::string_view role, const tuf::PrivateKey& key) const {
  validate_role(role);
  stdfs::path path = key_path(role, key.key_id());
  if (stdfs::exists(path)) fail(ErrorCode::kExists, path.string() + " already exists; refusing to overwrite a key");
  make_private_dir(dir_);
  make_private_dir(folder(role));
  fs::write_file_atomic(path, key.to_json().dump(2) + "\n", 0600);
  return path;
}

std::optional<stdfs::path> KeyStore::retire_key(std::string_view role, std::string_view key_id) const {
  for (const auto& path : key_files(role)) {
    if (read_key(path)->key_id() != key_id) continue;
    stdfs::path retired = folder(role) / (std::string(role) + "." + std::string(key_id.substr(0, 16)) + ".retired.key");
    stdfs::rename(path, retired);
    fs::fsync_dir(retired.parent_path());
    return retired;
  }
  return std::nullopt;
}

bool KeyStore::remove_key(std::string_view role, std::string_view key_id) const {
  for (const auto& path : key_files(role)) {
    if (read_key(path)->key_id() == key_id) {
      stdfs::remove(path);
      fs::fsync_dir(path.parent_path());
      return true;
    }
  }
  return false;
}

}  // namespace upkeep::publish
