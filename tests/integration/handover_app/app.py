#!/usr/bin/env python3
# A tiny HTTP server released with upkeep, for the socket hand-over tests
# (tests/integration/handover_test.cpp): GET / answers its version (the
# VERSION file beside it) and pid; GET /restart restarts to update with a hand-over;
# GET /restart-plain the plain way (it exits, the launcher applies, the new one binds).
# It serves on the socket the launcher passes on when LISTEN_PID is its own
# pid, else binds 127.0.0.1:$HANDOVER_APP_PORT (default 0: any) and prints "port N"
# on stdout. bench/handover_bench.cpp times both restarts with it.
# Ready: it confirms health ($UPKEEP_HEALTH_FD) and readiness ($UPKEEP_READY_FD).
# SIGTERM: stops accepting, finishes the requests it accepted, exits 0.
# A CRASH file beside it makes it exit 3 at once (a broken release); a
# NEVER_READY file makes it serve but never confirm or say it is ready.
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
if os.path.exists(os.path.join(HERE, "CRASH")):
    sys.exit(3)
with open(os.path.join(HERE, "VERSION")) as f:
    VERSION = f.read().strip()


def listening_socket():
    if os.environ.get("LISTEN_PID") == str(os.getpid()) and os.environ.get("LISTEN_FDS") == "1":
        for k in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
            os.environ.pop(k, None)
        s = socket.socket(fileno=3)
        s.set_inheritable(False)
        return s
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(os.environ.get("HANDOVER_APP_PORT", "0"))))
    s.listen(128)
    print("port", s.getsockname()[1], flush=True)
    return s


def restart_plain(server):
    env = dict(os.environ)
    for k in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        env.pop(k, None)
    subprocess.Popen([os.environ["UPKEEP_LAUNCHER"], "--upkeep-after-pid", str(os.getpid())], env=env,
                     start_new_session=True)
    threading.Thread(target=server.shutdown).start()


def restart(sock):
    env = dict(os.environ, LISTEN_FDS="1", LISTEN_FDNAMES="http")
    env.pop("LISTEN_PID", None)
    fd = sock.fileno()
    # The launcher expects the socket at 3 (sd_listen_fds).
    subprocess.Popen([os.environ["UPKEEP_LAUNCHER"], "--upkeep-after-pid", str(os.getpid()), "--upkeep-handover"],
                     env=env, pass_fds=(3,), preexec_fn=lambda: os.dup2(fd, 3), start_new_session=True)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path in ("/restart", "/restart-plain"):
            body = b"restarting\n"
        else:
            time.sleep(0.01)  # a request in flight for a while
            body = "{} {}\n".format(VERSION, os.getpid()).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if self.path == "/restart":
            restart(self.server.socket)
        elif self.path == "/restart-plain":
            restart_plain(self.server)

    def log_message(self, *args):
        pass


def say_ready():
    if os.path.exists(os.path.join(HERE, "NEVER_READY")):
        return
    for var in ("UPKEEP_HEALTH_FD", "UPKEEP_READY_FD"):
        fd = os.environ.pop(var, None)
        if fd:
            os.write(int(fd), b"1")
            os.close(int(fd))


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = listening_socket()
    server.daemon_threads = False
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    say_ready()
    server.serve_forever(poll_interval=0.05)
    server.server_close()  # closes our copy of the listener, waits for requests in flight


if __name__ == "__main__":
    main()
