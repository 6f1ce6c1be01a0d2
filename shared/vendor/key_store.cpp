#include "vendor/key_store.h"

#include "error.h"
#include "fs.h"
#include "json.h"
#include "tuf/metadata.h"

namespace upkeep::vendor {
namespace {

constexpr const char* kRoles[] = {tuf::kRootRole, tuf::kTargetsRole, tuf::kSnapshotRole, tuf::kTimestampRole};

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

std::filesystem::path KeyStore::key_path(std::string_view role) const { return dir_ / (std::string(role) + ".key"); }

KeyStore KeyStore::create(const std::filesystem::path& dir, const std::string& app_id) {
  validate_app_id(app_id);
  KeyStore store(dir, app_id);
  for (const char* role : kRoles) {
    if (std::filesystem::exists(store.key_path(role)))
      fail(ErrorCode::kExists, store.key_path(role).string() + " already exists; refusing to overwrite signing keys");
  }
  fs::create_directories_durable(dir);
  fs::set_file_mode(dir, 0700);
  std::vector<std::filesystem::path> written;
  try {
    for (const char* role : kRoles) {
      auto key = tuf::PrivateKey::generate_ed25519();
      fs::write_file_atomic(store.key_path(role), key->to_json().dump(2) + "\n", 0600);
      written.push_back(store.key_path(role));
    }
    Json vendor = Json::object();
    vendor["app_id"] = app_id;
    fs::write_file_atomic(dir / "vendor.json", vendor.dump(2) + "\n", 0644);
  } catch (...) {
    std::error_code ec;
    for (const auto& p : written) std::filesystem::remove(p, ec);
    throw;
  }
  return store;
}

KeyStore KeyStore::open(const std::filesystem::path& dir) {
  auto path = dir / "vendor.json";
  if (!std::filesystem::exists(path))
    fail(ErrorCode::kNotFound, path.string() + " not found (run 'upkeep keys init' first, or pass --keys DIR)");
  Json vendor = Json::parse(fs::read_file(path, 1 << 20), path.string());
  std::string app_id;
  try {
    app_id = vendor.get_string("app_id");
  } catch (const Error& e) {
    fail(ErrorCode::kBadInput, path.string() + ": " + e.what());
  }
  validate_app_id(app_id);
  return KeyStore(dir, app_id);
}

std::unique_ptr<tuf::PrivateKey> KeyStore::load_key(std::string_view role) const {
  auto path = key_path(role);
  if (!std::filesystem::exists(path)) fail(ErrorCode::kNotFound, path.string() + ": signing key not found");
  return tuf::PrivateKey::from_json(Json::parse(fs::read_file(path, 1 << 20), path.string()), path.string());
}

}  // namespace upkeep::vendor
