// Safe encodings of TUF role names and target paths, which come from signed
// but untrusted-in-form metadata, for URLs and local file names.
//
// - In URLs every byte outside [A-Za-z0-9._~-] is percent-encoded (upper-case
//   hex), as Python's urllib.parse.quote(name, safe="") does: a role name
//   "../x" is requested as "..%2Fx", never as a path that climbs.
// - In local file names the same encoding applies and, in addition, a
//   leading '.' becomes "%2E", so no name is ".", "..", hidden, or contains
//   '/' or '\\' (both always encoded). Because '%' itself is encoded, the
//   encoding is injective: two different names never share a file.
// Pure functions: any thread.
#pragma once

#include <string>
#include <string_view>

namespace upkeep::tuf {

// Percent-encodes every byte outside [A-Za-z0-9._~-] and those in `keep`.
std::string percent_encode(std::string_view text, std::string_view keep = "");

// "<encoded role>" for metadata URLs: VERSION.<this>.json or <this>.json.
std::string role_url_name(std::string_view role);

// The local file of a role's metadata: "<safe name>.json" (top-level roles
// keep their plain names: "targets" -> "targets.json").
std::string role_file_name(std::string_view role);

// A file name (one path component) standing for `name`: the URL encoding
// plus a leading '.' encoded. Throws Error(kVerification) for an empty name
// or one whose encoding is longer than 240 bytes (file systems allow 255).
std::string safe_file_name(std::string_view name);

}  // namespace upkeep::tuf
