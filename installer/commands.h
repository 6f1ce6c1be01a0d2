// The subcommands of the `upkeep` vendor/admin tool. Each takes the
// arguments after its name and returns the process exit code; errors are
// thrown as upkeep::Error and reported by main().
#pragma once

#include <string>
#include <vector>

namespace upkeep::cli {

using Args = std::vector<std::string>;

int cmd_keys(const Args& args);               // cmd_keys.cpp:    keys init|add|revoke|rotate-root|list
int cmd_release(const Args& args);            // cmd_release.cpp: release DIR --version V ...
int cmd_refresh_timestamp(const Args& args);  // cmd_refresh_timestamp.cpp: refresh-timestamp
int cmd_serve(const Args& args);              // cmd_serve.cpp:   serve REPO [--port P]
int cmd_install(const Args& args);            // cmd_install.cpp: install --repo URL --prefix DIR
int cmd_uninstall(const Args& args);          // cmd_install.cpp: uninstall --prefix DIR
int cmd_rollout(const Args& args);            // cmd_rollout.cpp: rollout --version V --percent P
int cmd_mirror(const Args& args);             // cmd_mirror.cpp:  mirror SOURCE_URL DIR

}  // namespace upkeep::cli
