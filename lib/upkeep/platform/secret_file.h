// Reading a file that holds secrets (repository credentials): only when no
// one but its owner may read or write it, and its owner is the user running
// or the administrator (root), as ssh does for its keys. Anything looser is
// refused before a byte is read, so a secret another user could read (or
// swap) is never used.
//
// Free function; thread-safe. After success: the whole file (at most
// max_bytes). After failure: Error(kCredentials) naming the file, the mode
// or owner found, what was expected and the fix (chmod 600 / chown);
// Error(kNotFound) for a missing file; Error(kPermission) for one this user
// may not open.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace upkeep::fs {

std::string read_secret_file(const std::filesystem::path& path, uint64_t max_bytes);

// Writes `bytes` to `path` atomically with mode 0600 (a copy of a secret file).
void write_secret_file(const std::filesystem::path& path, const std::string& bytes);

}  // namespace upkeep::fs
