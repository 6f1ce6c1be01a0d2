// Temporary: replaced by cmd_keys.cpp, cmd_release.cpp, cmd_serve.cpp and
// cmd_install.cpp as they land. Delete a function here when its file exists.
#include "commands.h"
#include "error.h"

namespace upkeep::cli {
int cmd_keys(const Args&) { fail(ErrorCode::kFailure, "keys: not built yet"); }
int cmd_release(const Args&) { fail(ErrorCode::kFailure, "release: not built yet"); }
int cmd_serve(const Args&) { fail(ErrorCode::kFailure, "serve: not built yet"); }
int cmd_install(const Args&) { fail(ErrorCode::kFailure, "install: not built yet"); }
int cmd_uninstall(const Args&) { fail(ErrorCode::kFailure, "uninstall: not built yet"); }
}  // namespace upkeep::cli
