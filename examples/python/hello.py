#!/usr/bin/env python3
"""hello.py: an application in Python 3 (standard library only), installed and
kept up to date by upkeep without embedding its library (docs/integration.md).

    upkeep release examples/python --version 1.0.0 --program hello.py --health confirm

usage: hello.py [--exit CODE] [--restart] [ARGS...]
  --exit CODE  exit with CODE once started (the launcher passes it on)
  --restart    hand over to the launcher, which applies a staged update
"""
import os
import subprocess
import sys


def confirm_healthy_start():
    """The health byte: on a new version's first start the launcher waits for
    one byte on this descriptor. Write it once the app is up, then close it."""
    fd = os.environ.pop("UPKEEP_HEALTH_FD", None)
    if fd is not None:
        os.write(int(fd), b"1")
        os.close(int(fd))


def restart_to_update(args):
    """The launcher waits for this process to end, then applies the staged
    version and starts it with `args`."""
    launcher = os.environ["UPKEEP_LAUNCHER"]
    subprocess.Popen([launcher, "--upkeep-after-pid", str(os.getpid()), *args],
                     stdin=subprocess.DEVNULL, start_new_session=True)


def main(argv):
    print(f"hello from the Python example {os.environ.get('UPKEEP_VERSION', '(not installed)')}", flush=True)
    rolled_back_from = os.environ.get("UPKEEP_ROLLED_BACK_FROM")
    if rolled_back_from:
        print(f"version {rolled_back_from} did not start; back on {os.environ['UPKEEP_VERSION']}", flush=True)
    confirm_healthy_start()

    if argv[:1] == ["--exit"]:
        return int(argv[1])
    if argv[:1] == ["--restart"]:
        restart_to_update(argv[1:])
        return 0
    print("arguments:", " ".join(argv), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
