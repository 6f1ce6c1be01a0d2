/* c_api_test.c: compiled as C (not C++), linked against libupkeep.so: proves
 * upkeep/upkeep.h is a C header and drives the C ABI. c_api_test.cpp runs it.
 *
 *   c_api_test            no UPKEEP_ROOT: not managed, and the ABI's own checks
 *   c_api_test stage      in an install: check, staged, skip (then up to date)
 *   c_api_test restart    in an install: check, staged, restart_now (a save hook that counts)
 *
 * Prints one line per fact; exits 0 when every check passed, 1 naming the first that did not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upkeep/upkeep.h"

static int check(int ok, const char* what) {
  if (!ok) {
    printf("FAILED: %s (last error: %s)\n", what, upkeep_last_error());
    exit(1);
  }
  return ok;
}

static int g_notified = 0;
static void on_state(const char* state_json, void* user) {
  int* count = (int*)user;
  check(strstr(state_json, "\"phase\":") != NULL, "a listener gets the state as JSON");
  ++*count;
}

static int g_saves = 0;
static int save_work(void* user) {
  ++*(int*)user;
  return 1;
}

/* Waits (up to 60 s) until the phase is `a` or `b`; returns the phase. */
static int wait_phase(upkeep_updater* u, int a, int b) {
  int i;
  for (i = 0; i < 120; ++i) {
    int64_t rev = upkeep_revision(u);
    int phase = upkeep_phase(u);
    char* json;
    if (phase == a || phase == b) return phase;
    json = upkeep_wait_for_change(u, (uint64_t)rev, 500);
    check(json != NULL, "upkeep_wait_for_change returns the state");
    upkeep_free(json);
  }
  return upkeep_phase(u);
}

static int not_managed(void) {
  int status = 0;
  char* reason = NULL;
  upkeep_options* o = upkeep_options_new();
  const char* args[] = {"--restarted"};
  check(upkeep_abi_version() == UPKEEP_ABI_VERSION, "upkeep_abi_version() is the header's");
  check(strlen(upkeep_library_version()) > 0, "a library version");
  check(strcmp(upkeep_phase_name(UPKEEP_PHASE_STAGED), "staged") == 0, "phase names");
  check(strcmp(upkeep_prompt_name(UPKEEP_PROMPT_FORCED), "forced") == 0, "prompt names");
  check(strcmp(upkeep_phase_name(99), "unknown") == 0, "an unknown phase");
  check(upkeep_options_set_restart_args(o, 1, args) == UPKEEP_OK, "restart arguments");
  check(upkeep_options_set_restart_args(o, 1, NULL) == UPKEEP_E_INVALID, "NULL argv refused");
  check(upkeep_options_add_listen_fd(o, -1, "web") == UPKEEP_E_INVALID, "a negative fd refused");
  check(upkeep_options_set_headless(o, 1) == UPKEEP_OK, "headless");
  check(upkeep_open(o, &status, &reason) == NULL, "not managed: NULL");
  check(status == UPKEEP_NOT_MANAGED, "not managed: the status says so");
  check(reason != NULL && strstr(reason, "UPKEEP_ROOT") != NULL, "not managed: the reason names UPKEEP_ROOT");
  printf("not managed: %s\n", reason);
  upkeep_free(reason);
  upkeep_options_free(o);
  /* A NULL handle is an error code and a message, never a crash. */
  check(upkeep_start(NULL, 0) == UPKEEP_E_INVALID, "upkeep_start(NULL)");
  check(strstr(upkeep_last_error(), "NULL") != NULL, "the last error says NULL");
  check(upkeep_phase(NULL) == UPKEEP_E_INVALID, "upkeep_phase(NULL)");
  check(upkeep_state_json(NULL) == NULL, "upkeep_state_json(NULL)");
  check(upkeep_confirm_healthy_start(NULL) == UPKEEP_HEALTH_NOT_ON_TRIAL, "not on trial");
  upkeep_close(NULL);
  upkeep_free(NULL);
  printf("ok\n");
  return 0;
}

static int managed(const char* mode) {
  int status = -100, phase, id;
  char *reason = NULL, *version, *notes, *json;
  upkeep_updater* u = upkeep_open(NULL, &status, &reason);
  check(u != NULL && status == UPKEEP_OK && reason == NULL, "upkeep_open in an install");
  id = upkeep_subscribe(u, on_state, &g_notified);
  check(id > 0, "upkeep_subscribe gives an id");
  check(upkeep_set_save_work(u, save_work, &g_saves) == UPKEEP_OK, "upkeep_set_save_work");
  check(upkeep_skip_version(u) == UPKEEP_E_NOT_ALLOWED, "nothing staged: nothing to skip");
  check(upkeep_check_now(u) == UPKEEP_OK, "upkeep_check_now");
  phase = wait_phase(u, UPKEEP_PHASE_STAGED, UPKEEP_PHASE_FAILED);
  json = upkeep_state_json(u);
  printf("state: %s\n", json);
  upkeep_free(json);
  check(phase == UPKEEP_PHASE_STAGED, "staged");
  version = upkeep_version(u);
  notes = upkeep_notes(u);
  printf("staged %s: %lld of %lld bytes; notes: %s\n", version, (long long)upkeep_bytes_done(u),
         (long long)upkeep_bytes_total(u), notes);
  check(upkeep_bytes_total(u) > 0 && upkeep_bytes_done(u) == upkeep_bytes_total(u), "all bytes are in");
  upkeep_free(version);
  upkeep_free(notes);
  if (strcmp(mode, "stage") == 0) {
    check(upkeep_skip_version(u) == UPKEEP_OK, "upkeep_skip_version");
    phase = wait_phase(u, UPKEEP_PHASE_UP_TO_DATE, UPKEEP_PHASE_FAILED);
    check(phase == UPKEEP_PHASE_UP_TO_DATE, "skipped: up to date");
    printf("skipped\n");
  } else {
    check(upkeep_restart_now(u) == UPKEEP_OK, "upkeep_restart_now");
    phase = wait_phase(u, UPKEEP_PHASE_RESTARTING, UPKEEP_PHASE_FAILED);
    check(phase == UPKEEP_PHASE_RESTARTING, "restarting");
    printf("restarting after %d save(s)\n", g_saves);
  }
  check(upkeep_unsubscribe(u, id) == UPKEEP_OK, "upkeep_unsubscribe");
  check(upkeep_stop(u) == UPKEEP_OK, "upkeep_stop");
  printf("listener calls: %d\n", g_notified);
  check(g_notified > 0, "the listener was called");
  upkeep_close(u);
  printf("ok\n");
  return 0;
}

int main(int argc, char** argv) {
#ifdef __cplusplus
  check(0, "compiled as C++: this file must be compiled as C");
#endif
  if (argc < 2) return not_managed();
  return managed(argv[1]);
}
