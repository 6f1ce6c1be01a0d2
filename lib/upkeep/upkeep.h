/* upkeep.h: the C ABI of the upkeep updater, for applications in any
 * language (Python's ctypes, Rust, Go's cgo, Node's ffi): everything
 * AppUpdater (upkeep/embed/app_updater.h) does, through plain C types.
 * Library: libupkeep.so.1 (docs/integration.md "Embed the library").
 *
 *   upkeep_updater* u = upkeep_open(NULL, &status, &reason);
 *   if (!u) { ... run without updates; upkeep_free(reason); }
 *   upkeep_confirm_healthy_start(u);      once the app is up
 *   upkeep_subscribe(u, on_state, ctx);   or upkeep_wait_for_change()
 *   upkeep_start(u, 0);
 *   ... on a click: upkeep_restart_now(u); when the phase is
 *   UPKEEP_PHASE_RESTARTING, exit ...
 *   upkeep_close(u);
 *
 * Stability: functions are only ever added, never changed or removed, while
 * UPKEEP_ABI_VERSION (the .so's SONAME number) stays the same; the enum
 * numbers below never change and only grow. Compare upkeep_abi_version()
 * with the UPKEEP_ABI_VERSION you built against.
 *
 * Errors: no C++ exception ever leaves the library. Functions returning int
 * return UPKEEP_OK (0) or a negative UPKEEP_E_* code; those returning a
 * pointer return NULL on failure. Either way upkeep_last_error() says why.
 *
 * Memory: a `char*` the library returns is the caller's, freed with
 * upkeep_free(). A `const char*` it returns is the library's: static
 * (upkeep_phase_name) or valid until the next upkeep_* call on the same
 * thread (upkeep_last_error), or, given to a callback, during that call.
 *
 * Threads: every function may be called from any thread, at the same time,
 * except upkeep_close(), which must be the last call on its handle and
 * must not be made from a callback. Callbacks (state listeners, the save
 * hook) are called on the updater's own threads, never while it holds a
 * lock: they may call back into the library but must return quickly; hand
 * the news to your UI thread.
 */
#ifndef UPKEEP_UPKEEP_H
#define UPKEEP_UPKEEP_H

#include <stdint.h>

#define UPKEEP_ABI_VERSION 1

#if defined(__GNUC__)
#define UPKEEP_API __attribute__((visibility("default")))
#else
#define UPKEEP_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Results. */
#define UPKEEP_OK 0
#define UPKEEP_NOT_MANAGED 1      /* upkeep_open(): not started by a launcher, no updates */
#define UPKEEP_E_INVALID (-1)     /* a NULL handle or a bad argument */
#define UPKEEP_E_FAILED (-2)      /* the operation failed: upkeep_last_error() says why */
#define UPKEEP_E_NOT_ALLOWED (-3) /* refused by the state: nothing changed */

/* UpdateState::Phase. */
#define UPKEEP_PHASE_IDLE 0
#define UPKEEP_PHASE_CHECKING 1
#define UPKEEP_PHASE_UP_TO_DATE 2
#define UPKEEP_PHASE_DOWNLOADING 3
#define UPKEEP_PHASE_VERIFYING 4
#define UPKEEP_PHASE_STAGED 5 /* a restart applies `version` */
#define UPKEEP_PHASE_FAILED 6
#define UPKEEP_PHASE_UPDATES_OFF 7
#define UPKEEP_PHASE_RESTARTING 8 /* handed over to the launcher: exit now */
#define UPKEEP_PHASE_NOT_MANAGED 9

/* UpdateState::Prompt: the restart prompt's level. */
#define UPKEEP_PROMPT_NONE 0
#define UPKEEP_PROMPT_ASK 1
#define UPKEEP_PROMPT_NOTIFY 2
#define UPKEEP_PROMPT_REMIND 3
#define UPKEEP_PROMPT_FORCED 4

/* upkeep_confirm_healthy_start()'s answers. */
#define UPKEEP_HEALTH_NOT_ON_TRIAL 0
#define UPKEEP_HEALTH_CONFIRMED 1
#define UPKEEP_HEALTH_FAILED 2

typedef struct upkeep_updater upkeep_updater; /* opaque */
typedef struct upkeep_options upkeep_options; /* opaque */

/* A state change: `state_json` is UpdateState::to_json() (valid during the call). */
typedef void (*upkeep_state_fn)(const char* state_json, void* user);
/* Saves the user's work before a restart: non-zero when saved (or nothing to save). */
typedef int (*upkeep_save_work_fn)(void* user);

UPKEEP_API int upkeep_abi_version(void);
UPKEEP_API const char* upkeep_library_version(void); /* static, e.g. "0.1.0" */
/* Why the last failing call on this thread failed ("" when none). */
UPKEEP_API const char* upkeep_last_error(void);
UPKEEP_API void upkeep_free(void* p);                  /* NULL is fine */
UPKEEP_API const char* upkeep_phase_name(int phase);   /* "staged"; static */
UPKEEP_API const char* upkeep_prompt_name(int prompt); /* "forced"; static */

/* Options for upkeep_open(); NULL means the defaults. */
UPKEEP_API upkeep_options* upkeep_options_new(void);
UPKEEP_API void upkeep_options_free(upkeep_options* options);
/* Nobody answers prompts: restart at close when an update is staged (the headless rule). */
UPKEEP_API int upkeep_options_set_headless(upkeep_options* options, int headless);
/* The arguments the new version is started with (copied). */
UPKEEP_API int upkeep_options_set_restart_args(upkeep_options* options, int argc, const char* const* argv);
/* A listening socket to hand over at restart (LISTEN_FDS; `name` may be NULL). With
 * any, the restart is a hand-over: keep serving until the launcher sends SIGTERM. */
UPKEEP_API int upkeep_options_add_listen_fd(upkeep_options* options, int fd, const char* name);

/* Opens the updater of the install that started this process (UPKEEP_ROOT). NULL when
 * not managed (*status = UPKEEP_NOT_MANAGED) or on failure (*status = UPKEEP_E_FAILED);
 * then *reason (if not NULL) is a message to upkeep_free(). status and reason may be NULL.
 * (The library logs warnings to stderr and, in an install, everything to
 * logs/<app id>.log; never to stdout.) */
UPKEEP_API upkeep_updater* upkeep_open(const upkeep_options* options, int* status, char** reason);
/* Stops the checks, joins the threads and frees the handle (NULL is fine). */
UPKEEP_API void upkeep_close(upkeep_updater* u);

/* Tells the launcher this version started healthily: UPKEEP_HEALTH_*. `u` may be NULL. */
UPKEEP_API int upkeep_confirm_healthy_start(upkeep_updater* u);
/* Background checks; the first now, as a manual check when `check_now` is non-zero. */
UPKEEP_API int upkeep_start(upkeep_updater* u, int check_now);
/* One manual check now, on the updater's thread (returns at once). */
UPKEEP_API int upkeep_check_now(upkeep_updater* u);
/* Stops the checks (idempotent); upkeep_close() does too. */
UPKEEP_API int upkeep_stop(upkeep_updater* u);

/* The state as JSON (UpdateState::to_json(), docs/integration.md); upkeep_free() it. */
UPKEEP_API char* upkeep_state_json(upkeep_updater* u);
/* Blocks until the state's revision is above `seen_revision` or `timeout_ms` passes;
 * returns the state then, as upkeep_state_json(). */
UPKEEP_API char* upkeep_wait_for_change(upkeep_updater* u, uint64_t seen_revision, int timeout_ms);
/* Plain accessors of the current state; negative UPKEEP_E_* on a bad handle. */
UPKEEP_API int upkeep_phase(upkeep_updater* u);
UPKEEP_API int upkeep_prompt(upkeep_updater* u);
UPKEEP_API int64_t upkeep_revision(upkeep_updater* u);
UPKEEP_API int64_t upkeep_bytes_done(upkeep_updater* u);
UPKEEP_API int64_t upkeep_bytes_total(upkeep_updater* u);
/* The version found, downloading or staged ("" when none); upkeep_free() it. */
UPKEEP_API char* upkeep_version(upkeep_updater* u);
/* Its release notes, Markdown as written by the vendor (untrusted for HTML); upkeep_free() it. */
UPKEEP_API char* upkeep_notes(upkeep_updater* u);

/* Calls `fn` with every new state (on the updater's thread, in order).
 * Returns an id (> 0) for upkeep_unsubscribe, or a negative UPKEEP_E_*. */
UPKEEP_API int upkeep_subscribe(upkeep_updater* u, upkeep_state_fn fn, void* user);
UPKEEP_API int upkeep_unsubscribe(upkeep_updater* u, int id);
/* The save hook run before every restart (NULL: nothing to save). A hook that
 * returns 0 blocks that restart; the state's error says so. */
UPKEEP_API int upkeep_set_save_work(upkeep_updater* u, upkeep_save_work_fn fn, void* user);

/* The user's actions. Each returns at once; the state shows the outcome. */
UPKEEP_API int upkeep_restart_now(upkeep_updater* u); /* save, then restart into the staged version */
UPKEEP_API int upkeep_later(upkeep_updater* u);       /* dismiss the prompt until the next reminder */
/* Never offer the staged version again. UPKEEP_E_NOT_ALLOWED (nothing changes) when
 * nothing is staged, the release is critical or the restart is forced. */
UPKEEP_API int upkeep_skip_version(upkeep_updater* u);

#ifdef __cplusplus
}
#endif

#endif /* UPKEEP_UPKEEP_H */
