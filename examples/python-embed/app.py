#!/usr/bin/env python3
"""app.py: an application in Python 3 (standard library only) that embeds
upkeep through its C ABI (lib/upkeep/upkeep.h, libupkeep.so) with ctypes:
it confirms a healthy start, checks for updates, prints each state change,
and when an update is staged restarts into it. See README.md.

usage: app.py [--exit-when-current]
  --exit-when-current  exit once a check finds nothing newer (or fails): a
                       run that ends by itself, for tests and demos
"""
import ctypes
import ctypes.util
import json
import os
import sys
import threading

ABI_VERSION = 1  # UPKEEP_ABI_VERSION of the upkeep.h this file was written against
HEALTH_CONFIRMED = 1
OK = 0

SAVE_WORK_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
STATE_FN = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_void_p)
_print_lock = threading.Lock()


def say(text):
    """One whole line on stdout: the save hook runs on the updater's thread."""
    with _print_lock:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def load_library():
    """libupkeep.so: $UPKEEP_LIBRARY, else beside this file (the vendor ships
    it in the release folder), else the system's. None when there is none."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.environ.get("UPKEEP_LIBRARY"), os.path.join(here, "libupkeep.so"),
                  ctypes.util.find_library("upkeep")]
    for path in filter(None, candidates):
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            print(f"cannot load {path}: {e}", file=sys.stderr)
    return None


def declare(lib):
    """The C signatures this app uses (upkeep.h). A char* the library returns
    is ours to upkeep_free: declared c_void_p so ctypes does not copy and lose it."""
    p, i, u64, vp = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_void_p
    signatures = {
        "upkeep_abi_version": ([], i),
        "upkeep_last_error": ([], ctypes.c_char_p),
        "upkeep_free": ([vp], None),
        "upkeep_options_new": ([], p),
        "upkeep_options_free": ([p], None),
        "upkeep_options_set_restart_args": ([p, i, ctypes.POINTER(ctypes.c_char_p)], i),
        "upkeep_open": ([p, ctypes.POINTER(i), ctypes.POINTER(vp)], p),
        "upkeep_close": ([p], None),
        "upkeep_confirm_healthy_start": ([p], i),
        "upkeep_set_save_work": ([p, SAVE_WORK_FN, vp], i),
        "upkeep_subscribe": ([p, STATE_FN, vp], i),
        "upkeep_start": ([p, i], i),
        "upkeep_wait_for_change": ([p, u64, i], vp),
        "upkeep_restart_now": ([p], i),
    }
    for name, (args, result) in signatures.items():
        f = getattr(lib, name)
        f.argtypes, f.restype = args, result


def take_string(lib, pointer):
    """The text of a char* the library gave us, which we then free."""
    if not pointer:
        return ""
    try:
        return ctypes.string_at(pointer).decode("utf-8", "replace")
    finally:
        lib.upkeep_free(pointer)


def describe(state):
    phase = state["phase"]
    if phase == "downloading":
        eta = f", {state['eta_seconds']} s left" if state["eta_seconds"] is not None else ""
        return f"downloading {state['version']}: {state['bytes_done']} of {state['bytes_total']} bytes{eta}"
    if phase == "staged" and state["prompt"] != "none":
        return f"staged {state['version']}, prompt {state['prompt']}"
    if phase in ("verifying", "staged", "restarting"):
        return f"{phase} {state['version']}"
    if phase in ("failed", "updates_off"):
        return f"{phase}: {state['error']}"
    return phase


@STATE_FN
def print_state(state_json, user):
    """Every state change, in order, on the updater's thread (a UI would post it to its own thread)."""
    say(f"update state: {describe(json.loads(state_json))}")


@SAVE_WORK_FN
def save_work(user):
    """Runs on the updater's thread before every restart: 1 when the work is saved."""
    say("saving the work before the restart")
    return 1


def open_updater(lib, args):
    """The updater of the install that started us, or None (said why)."""
    options = lib.upkeep_options_new()
    argv = (ctypes.c_char_p * len(args))(*[a.encode() for a in args])
    lib.upkeep_options_set_restart_args(options, len(args), argv)  # the new version gets our arguments
    status, reason = ctypes.c_int(), ctypes.c_void_p()
    updater = lib.upkeep_open(options, ctypes.byref(status), ctypes.byref(reason))
    lib.upkeep_options_free(options)
    if not updater:
        say(f"no updates: {take_string(lib, reason.value)}")
    return updater


def follow(lib, updater, exit_when_current):
    """Waits for the state to change (print_state shows each change); restarts
    once an update is staged. True: exit to restart."""
    seen, restarting = 0, False
    while True:
        state = json.loads(take_string(lib, lib.upkeep_wait_for_change(updater, seen, 1000)))
        if state["revision"] == seen:
            continue  # no change within the second
        seen = state["revision"]  # the latest state: changes that came together are seen once
        phase = state["phase"]
        if phase == "staged" and not restarting:
            if state["notes"]:
                say(f"release notes of {state['version']}:\n{state['notes']}")
            restarting = lib.upkeep_restart_now(updater) == OK  # the user's click, in a real app
        if phase == "restarting":
            return True
        if exit_when_current and phase in ("up_to_date", "failed", "updates_off"):
            return False


def main(args):
    say(f"python-embed app {os.environ.get('UPKEEP_VERSION', '(not installed)')} running")
    lib = load_library()
    if lib is None:
        say("no updates: libupkeep.so not found")
        return 0
    declare(lib)
    if lib.upkeep_abi_version() != ABI_VERSION:
        say(f"no updates: libupkeep.so has ABI {lib.upkeep_abi_version()}, not {ABI_VERSION}")
        return 0
    if lib.upkeep_confirm_healthy_start(None) == HEALTH_CONFIRMED:
        say("healthy start confirmed")
    updater = open_updater(lib, args)
    if not updater:
        return 0
    lib.upkeep_set_save_work(updater, save_work, None)
    lib.upkeep_subscribe(updater, print_state, None)
    lib.upkeep_start(updater, 1)  # the first check now
    try:
        if follow(lib, updater, "--exit-when-current" in args):
            say("exiting: the launcher applies the update and starts it")
    finally:
        lib.upkeep_close(updater)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
