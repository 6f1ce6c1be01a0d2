// Error: the one exception type the library throws.
//
// Every failure that reaches a user carries an ErrorCode (which maps to a
// documented process exit code, see README "Exit codes") and a message that
// names what was wrong and what was expected. Thread-safe: immutable value.
#pragma once

#include <stdexcept>
#include <string>

namespace upkeep {

// Process exit codes. Documented in README.md; values only ever grow.
enum class ErrorCode : int {
  kOk = 0,
  kFailure = 1,            // anything not covered below
  kUsage = 2,              // bad command line
  kNoRunnableVersion = 3,  // launcher: nothing installed can start
  kLockTimeout = 4,        // another process holds the install lock too long
  kVerification = 5,       // signature, hash, length, manifest or expiry check failed
  kNetwork = 6,            // repository unreachable or bad HTTP reply
  kNoSpace = 7,            // disk full while writing
  kExists = 8,             // already exists (release version, install root)
  kNotFound = 9,           // no such version, file, install root
  kBadInput = 10,          // malformed file: JSON, archive, config, policy
  kDowngrade = 11,         // refused: older than what is installed
  kNeedsRoot = 12,         // a per-machine operation run without administrator rights
  kBadBundle = 13,         // an offline bundle that is not one, is truncated or damaged
  kPermission = 14,        // permission denied: a read-only or another user's file or folder (EACCES, EPERM, EROFS)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

[[noreturn]] inline void fail(ErrorCode code, const std::string& message) { throw Error(code, message); }

}  // namespace upkeep
