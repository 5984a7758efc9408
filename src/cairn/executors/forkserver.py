"""The launch server ("zygote") of the local executor: forks one warm launcher per step.

`python -m cairn.executors.forkserver` imports the launcher (and with it BLAKE3, the command
renderer and the rest) once, says `{"ready": PID}` on stdout, then serves requests, one JSON line
each on stdin: `{"workdir": W}`. For each it takes the step's lock, forks, and answers
`{"pid": P}` (the forked launcher runs the step in its own session, holding the lock), or
`{"busy": true}` when another launcher holds the lock, or `{"error": MESSAGE}`.

Why a zygote: a fresh Python with the launcher's imports costs tens of milliseconds of CPU per
step; a fork of one that has them costs a few. Taking the lock *before* answering means a step is
alive in `poll`'s eyes from the moment `launch` returns.

Owns: the request loop, the fork, and the child's detachment (new session, the server's pipes
replaced by /dev/null). Single-threaded on purpose: forking a process with threads is unsafe.
Children are reaped by a SIGCHLD handler. The server exits when its stdin closes (its
executor closed or died); the launchers it forked keep running — that is how steps survive a
restart.
Must not: wait for steps, or do anything per step beyond lock, fork and reply.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys

from cairn.launcher import control, run
from cairn.launcher.supervise import CANCEL_SIGNALS

_EXIT_CRASHED = 70


def serve(requests: int = 0, replies: int = 1) -> int:
    """Answer launch requests from descriptor `requests` on `replies` until end of input."""
    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is for the server
    gc.freeze()  # keep the warm heap out of the collector so that forks leave its pages shared
    _reply(replies, {"ready": os.getpid()})
    pending = b""
    while chunk := os.read(requests, 65536):
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            _reply(replies, _handle(line, (requests, replies)))
    return 0


def _reap(signum: int, frame: object) -> None:
    """Collect exited launchers (rather than have the kernel discard them with SIGCHLD ignored,
    which would also discard their CPU times from this server's accounting)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def _handle(line: bytes, own: tuple[int, int]) -> dict[str, object]:
    try:
        workdir = str(json.loads(line)["workdir"])
    except (ValueError, KeyError, TypeError) as error:
        return {"error": f"bad request: {error}"}
    try:
        lock_fd = control.acquire(workdir)
    except OSError as error:
        return {"error": f"cannot lock {workdir}: {error}"}
    if lock_fd is None:
        return {"busy": True}
    # TERM and INT stay blocked in the child until the launcher's handlers are in place.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, CANCEL_SIGNALS)
    pid = os.fork()
    if pid == 0:
        _child(workdir, lock_fd, own)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    os.close(lock_fd)  # the child's copy keeps the lock
    return {"pid": pid}


def _child(workdir: str, lock_fd: int, own: tuple[int, int]) -> None:
    code = _EXIT_CRASHED
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in own:
            os.dup2(devnull, fd)  # let go of the executor's pipes: they must see EOF without us
        os.close(devnull)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        code = run.main(workdir, lock_fd=lock_fd)
    finally:
        os._exit(code)  # never return into the server's loop, never run its exit handlers


def _reply(fd: int, message: dict[str, object]) -> None:
    os.write(fd, json.dumps(message).encode() + b"\n")


if __name__ == "__main__":
    sys.exit(serve())
