// Child: one program started by the torture harness through process.h, in
// its own process group, with stdin from the null device and stdout/stderr
// captured to files, so the harness can SIGKILL it (or its whole group, as a
// power cut would) at a chosen moment and then read what it printed.
//
// The harness makes itself a child subreaper (enable_subreaper), so that
// processes orphaned by a kill (an updater whose launcher died, a detached
// restart launcher) are re-parented to it and reap_descendants() can wait
// until every one of them has ended before the install root is checked.
// POSIX (Linux) only: this is test tooling, not the product. One thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "upkeep/platform/process.h"

namespace upkeep::torture {

using Env = process::Environment;
using Exit = process::ExitStatus;

class Child {
 public:
  // Starts argv with the harness's environment plus `env`; output goes to
  // `out_file` and `err_file` (truncated).
  Child(const std::vector<std::string>& argv, const Env& env, const std::filesystem::path& out_file,
        const std::filesystem::path& err_file);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Waits up to `timeout` for the child to end; its exit when it ended,
  // nullopt when it is still running.
  std::optional<Exit> wait_for(std::chrono::microseconds timeout);
  // Waits for the end without a limit.
  Exit wait();
  // SIGKILL to the child alone, or to its whole process group.
  void kill(bool whole_group);

 private:
  int64_t pid_ = -1;
  std::optional<Exit> exit_;
};

// Runs argv to completion and returns its exit and output (for set-up and checks).
struct Ran {
  Exit exit;
  std::string out, err;
};
Ran run_to_end(const std::vector<std::string>& argv, const Env& env, const std::filesystem::path& scratch);

void enable_subreaper();
// Waits until the harness has no child process left; false when some are
// still running after `limit` (they are then killed and reaped).
bool reap_descendants(std::chrono::seconds limit);

std::string read_file_or_empty(const std::filesystem::path& p);

}  // namespace upkeep::torture
