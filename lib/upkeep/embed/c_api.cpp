// The C ABI (upkeep/upkeep.h) over AppUpdater: built only into libupkeep.so
// (CMake target upkeep_c), which exports nothing but the upkeep_* symbols.
// Every function catches everything: no C++ exception crosses the ABI.
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "upkeep/base/launch_env.h"
#include "upkeep/base/logging.h"
#include "upkeep/embed/app_updater.h"
#include "upkeep/install/layout.h"
#include "upkeep/policy/config.h"
#include "upkeep/upkeep.h"

using upkeep::AppUpdater;
using upkeep::UpdateState;

struct upkeep_options {
  AppUpdater::Options options;
};

// The save hook the application set, read by the updater's policy thread.
struct SaveHook {
  std::mutex mutex;
  upkeep_save_work_fn fn = nullptr;
  void* user = nullptr;
};

struct upkeep_updater {
  std::shared_ptr<SaveHook> save = std::make_shared<SaveHook>();
  std::unique_ptr<AppUpdater> updater;
};

namespace {

thread_local std::string t_last_error;

int failed(int code, std::string why) {
  t_last_error = std::move(why);
  return code;
}

// The library's spdlog is its own (hidden in the .so), and never writes to
// the application's stdout: warnings go to stderr and, in an install,
// everything into logs/<app id>.log. Set up by the first call that may log.
void init_library_logging() {
  static std::once_flag once;
  std::call_once(once, [] {
    try {
      const char* root = std::getenv(upkeep::env::kRoot);
      if (!root || !*root) return upkeep::init_logging({.program = "upkeep"});
      upkeep::Layout layout(root);
      std::string program = "app";
      try {
        program = upkeep::Config::load(layout.config_file()).app_id;
      } catch (const std::exception&) {
        // upkeep_open reports the unreadable config itself.
      }
      upkeep::init_logging({.program = program, .log_dir = layout.logs_dir()});
    } catch (...) {
      // Logging is best effort; the call goes on.
    }
  });
}

// Runs `body`, turning any exception into UPKEEP_E_FAILED with its message.
template <typename Body>
int guarded(const char* what, Body body) {
  t_last_error.clear();
  init_library_logging();
  try {
    return body();
  } catch (const std::exception& e) {
    spdlog::error("{}: {}", what, e.what());
    return failed(UPKEEP_E_FAILED, e.what());
  } catch (...) {
    return failed(UPKEEP_E_FAILED, std::string(what) + ": unknown error");
  }
}

char* copy_string(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out) std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

// A string-returning call: NULL (upkeep_last_error says why) on failure.
template <typename Body>
char* guarded_string(upkeep_updater* u, const char* what, Body body) {
  char* out = nullptr;
  int rc = guarded(what, [&] {
    if (!u) return failed(UPKEEP_E_INVALID, std::string(what) + ": no updater (NULL)");
    out = copy_string(body(*u->updater));
    return out ? UPKEEP_OK : failed(UPKEEP_E_FAILED, "out of memory");
  });
  return rc == UPKEEP_OK ? out : nullptr;
}

// A call on the updater: UPKEEP_E_INVALID for a NULL handle.
template <typename Body>
int with_updater(upkeep_updater* u, const char* what, Body body) {
  return guarded(what, [&] {
    if (!u) return failed(UPKEEP_E_INVALID, std::string(what) + ": no updater (NULL)");
    return body(*u->updater);
  });
}

// A call that only acts: UPKEEP_OK once done.
template <typename Action>
int act(upkeep_updater* u, const char* what, Action action) {
  return with_updater(u, what, [&](AppUpdater& a) {
    action(a);
    return UPKEEP_OK;
  });
}

// A number from the state; a negative UPKEEP_E_* on failure.
template <typename Field>
int64_t state_number(upkeep_updater* u, const char* what, Field field) {
  int64_t out = 0;
  int rc = with_updater(u, what, [&](AppUpdater& a) {
    out = static_cast<int64_t>(field(a.state()));
    return UPKEEP_OK;
  });
  return rc == UPKEEP_OK ? out : rc;
}

}  // namespace

extern "C" {

int upkeep_abi_version(void) { return UPKEEP_ABI_VERSION; }
const char* upkeep_library_version(void) { return UPKEEP_VERSION_STRING; }
const char* upkeep_last_error(void) { return t_last_error.c_str(); }
void upkeep_free(void* p) { std::free(p); }

const char* upkeep_phase_name(int phase) {
  if (phase < 0 || phase > UPKEEP_PHASE_NOT_MANAGED) return "unknown";
  return upkeep::phase_name(static_cast<UpdateState::Phase>(phase));
}

const char* upkeep_prompt_name(int prompt) {
  if (prompt < 0 || prompt > UPKEEP_PROMPT_FORCED) return "unknown";
  return upkeep::prompt_name(static_cast<UpdateState::Prompt>(prompt));
}

upkeep_options* upkeep_options_new(void) {
  try {
    return new upkeep_options();
  } catch (...) {
    failed(UPKEEP_E_FAILED, "out of memory");
    return nullptr;
  }
}

void upkeep_options_free(upkeep_options* options) { delete options; }

int upkeep_options_set_headless(upkeep_options* options, int headless) {
  if (!options) return failed(UPKEEP_E_INVALID, "upkeep_options_set_headless: no options (NULL)");
  options->options.headless = headless != 0;
  return UPKEEP_OK;
}

int upkeep_options_set_restart_args(upkeep_options* options, int argc, const char* const* argv) {
  return guarded("upkeep_options_set_restart_args", [&] {
    if (!options || argc < 0 || (argc > 0 && !argv))
      return failed(UPKEEP_E_INVALID, "upkeep_options_set_restart_args: bad arguments");
    std::vector<std::string> args;
    for (int i = 0; i < argc; ++i) {
      if (!argv[i])
        return failed(UPKEEP_E_INVALID, "upkeep_options_set_restart_args: argv[" + std::to_string(i) + "] is NULL");
      args.emplace_back(argv[i]);
    }
    options->options.restart_args = std::move(args);
    return UPKEEP_OK;
  });
}

int upkeep_options_add_listen_fd(upkeep_options* options, int fd, const char* name) {
  return guarded("upkeep_options_add_listen_fd", [&] {
    if (!options || fd < 0) return failed(UPKEEP_E_INVALID, "upkeep_options_add_listen_fd: bad arguments");
    options->options.listen_fds.push_back(fd);
    options->options.listen_names.emplace_back(name ? name : "");
    return UPKEEP_OK;
  });
}

upkeep_updater* upkeep_open(const upkeep_options* options, int* status, char** reason) {
  upkeep_updater* out = nullptr;
  int rc = guarded("upkeep_open", [&] {
    const char* root = std::getenv(upkeep::env::kRoot);
    if (!root || !*root)
      return failed(UPKEEP_NOT_MANAGED, "not started by a launcher (UPKEEP_ROOT is not set): no updates");
    auto u = std::make_unique<upkeep_updater>();
    AppUpdater::Options o = options ? options->options : AppUpdater::Options{};
    o.save_work = [hook = u->save] {
      upkeep_save_work_fn fn;
      void* user;
      {
        std::lock_guard<std::mutex> g(hook->mutex);
        fn = hook->fn;
        user = hook->user;
      }
      return !fn || fn(user) != 0;  // no lock held: the hook may call back into the library
    };
    u->updater = AppUpdater::from_environment(std::move(o));
    if (!u->updater) return failed(UPKEEP_NOT_MANAGED, "not started by a launcher: no updates");
    out = u.release();
    return UPKEEP_OK;
  });
  if (status) *status = rc;
  if (reason) *reason = rc == UPKEEP_OK ? nullptr : copy_string(t_last_error);
  return out;
}

void upkeep_close(upkeep_updater* u) {
  guarded("upkeep_close", [&] {
    delete u;
    return UPKEEP_OK;
  });
}

int upkeep_confirm_healthy_start(upkeep_updater* u) {
  return guarded("upkeep_confirm_healthy_start", [&] {
    switch (upkeep::confirm_healthy_start()) {
      case upkeep::HealthResult::kNotOnTrial:
        return UPKEEP_HEALTH_NOT_ON_TRIAL;
      case upkeep::HealthResult::kConfirmed:
        return UPKEEP_HEALTH_CONFIRMED;
      case upkeep::HealthResult::kFailed:
        break;
    }
    return UPKEEP_HEALTH_FAILED;
  });
}

int upkeep_start(upkeep_updater* u, int check_now) {
  return act(u, "upkeep_start", [&](AppUpdater& a) { a.start(check_now != 0); });
}

int upkeep_check_now(upkeep_updater* u) {
  return act(u, "upkeep_check_now", [&](AppUpdater& a) { a.check_now(); });
}

int upkeep_stop(upkeep_updater* u) {
  return act(u, "upkeep_stop", [&](AppUpdater& a) { a.stop(); });
}

char* upkeep_state_json(upkeep_updater* u) {
  return guarded_string(u, "upkeep_state_json", [](AppUpdater& a) { return a.state().to_json(); });
}

char* upkeep_wait_for_change(upkeep_updater* u, uint64_t seen_revision, int timeout_ms) {
  return guarded_string(u, "upkeep_wait_for_change", [&](AppUpdater& a) {
    return a.wait_for_change(seen_revision, std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms)).to_json();
  });
}

int upkeep_phase(upkeep_updater* u) {
  return static_cast<int>(
      state_number(u, "upkeep_phase", [](const UpdateState& s) { return static_cast<int>(s.phase); }));
}

int upkeep_prompt(upkeep_updater* u) {
  return static_cast<int>(
      state_number(u, "upkeep_prompt", [](const UpdateState& s) { return static_cast<int>(s.prompt); }));
}

int64_t upkeep_revision(upkeep_updater* u) {
  return state_number(u, "upkeep_revision", [](const UpdateState& s) { return s.revision; });
}

int64_t upkeep_bytes_done(upkeep_updater* u) {
  return state_number(u, "upkeep_bytes_done", [](const UpdateState& s) { return s.bytes_done; });
}

int64_t upkeep_bytes_total(upkeep_updater* u) {
  return state_number(u, "upkeep_bytes_total", [](const UpdateState& s) { return s.bytes_total; });
}

char* upkeep_version(upkeep_updater* u) {
  return guarded_string(u, "upkeep_version", [](AppUpdater& a) { return a.state().version; });
}

char* upkeep_notes(upkeep_updater* u) {
  return guarded_string(u, "upkeep_notes", [](AppUpdater& a) { return a.state().notes; });
}

int upkeep_subscribe(upkeep_updater* u, upkeep_state_fn fn, void* user) {
  return with_updater(u, "upkeep_subscribe", [&](AppUpdater& a) {
    if (!fn) return failed(UPKEEP_E_INVALID, "upkeep_subscribe: no function (NULL)");
    return a.subscribe([fn, user](const UpdateState& s) { fn(s.to_json().c_str(), user); });
  });
}

int upkeep_unsubscribe(upkeep_updater* u, int id) {
  return act(u, "upkeep_unsubscribe", [&](AppUpdater& a) { a.unsubscribe(id); });
}

int upkeep_set_save_work(upkeep_updater* u, upkeep_save_work_fn fn, void* user) {
  return guarded("upkeep_set_save_work", [&] {
    if (!u) return failed(UPKEEP_E_INVALID, "upkeep_set_save_work: no updater (NULL)");
    std::lock_guard<std::mutex> g(u->save->mutex);
    u->save->fn = fn;
    u->save->user = user;
    return UPKEEP_OK;
  });
}

int upkeep_restart_now(upkeep_updater* u) {
  return act(u, "upkeep_restart_now", [&](AppUpdater& a) { a.restart_now(); });
}

int upkeep_later(upkeep_updater* u) {
  return act(u, "upkeep_later", [&](AppUpdater& a) { a.later(); });
}

int upkeep_skip_version(upkeep_updater* u) {
  return with_updater(u, "upkeep_skip_version", [](AppUpdater& a) {
    UpdateState s = a.state();
    if (s.phase != UpdateState::Phase::kStaged)
      return failed(UPKEEP_E_NOT_ALLOWED, "no update is staged: nothing to skip");
    if (!s.can_skip)
      return failed(UPKEEP_E_NOT_ALLOWED,
                    "version " + s.version + " cannot be skipped (critical, or the restart is forced)");
    a.skip_version();
    return UPKEEP_OK;
  });
}

}  // extern "C"
