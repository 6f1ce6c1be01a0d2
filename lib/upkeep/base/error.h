// Error: the one exception type the library throws.
//
// Every failure that reaches a user carries an ErrorCode (which maps to a
// documented process exit code, see README "Exit codes") and a message that
// names what was wrong and what was expected. Thread-safe: immutable value.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

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
  kCredentials = 15,       // the repository refused our credentials, or wants some we do not have (HTTP 401/403, SSH authentication)
  kCheckFailed = 16,       // upkeep doctor: a check of the hosted repository failed (docs/hosting.md)
};

// Where a failure came from, when that is known, beside its code: what
// install/quarantine.h needs to tell evidence against a release from bad
// luck. kUnknown is the default; the transport and the file system say so.
enum class Fault {
  kUnknown = 0,
  kDelivery,  // bytes from the network did not match their signed length or hash (a mirror, proxy or attacker)
  kLocal,     // this machine's file system refused an operation (errno: EXDEV, EIO, EACCES, ...)
  kRelease,   // the release's own verified content failed: counted as a failed try (install/quarantine.h)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, Fault fault = Fault::kUnknown)
      : std::runtime_error(message), code_(code), fault_(fault) {}
  ErrorCode code() const noexcept { return code_; }
  Fault fault() const noexcept { return fault_; }

 private:
  ErrorCode code_;
  Fault fault_;
};

[[noreturn]] inline void fail(ErrorCode code, const std::string& message, Fault fault = Fault::kUnknown) {
  throw Error(code, message, fault);
}
// Throws `e` again with a new message (context added): same code, same fault.
[[noreturn]] inline void fail_again(const Error& e, const std::string& message) {
  throw Error(e.code(), message, e.fault());
}

// Runs `f`; an Error escaping it gets "<context>: " in front of its message (same code, same fault).
template <class F>
auto in_context(std::string_view context, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    fail_again(e, std::string(context) + ": " + e.what());
  }
}

}  // namespace upkeep
