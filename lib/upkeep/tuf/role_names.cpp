#include "upkeep/tuf/role_names.h"

#include "upkeep/base/error.h"

namespace upkeep::tuf {

std::string percent_encode(std::string_view text, std::string_view keep) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved || (c != 0 && keep.find(static_cast<char>(c)) != std::string_view::npos)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string role_url_name(std::string_view role) { return percent_encode(role); }

std::string safe_file_name(std::string_view name) {
  if (name.empty()) fail(ErrorCode::kVerification, "an empty name cannot be stored as a file");
  std::string out = percent_encode(name);
  // "." and ".." (and hidden files) would mean something else on disk.
  if (out[0] == '.') out.replace(0, 1, "%2E");
  if (out.size() > 240)
    fail(ErrorCode::kVerification, "name '" + std::string(name.substr(0, 64)) +
                                       "...' is too long to store as a file (" + std::to_string(out.size()) +
                                       " bytes encoded, at most 240)");
  return out;
}

std::string role_file_name(std::string_view role) { return safe_file_name(role) + ".json"; }

}  // namespace upkeep::tuf
