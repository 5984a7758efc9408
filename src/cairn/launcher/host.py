"""The step host: one long-lived process that runs the local executor's steps, each on a thread.

`python -m cairn.launcher.host` says `{"ready": PID}` on stdout, then serves requests, one JSON
line each on stdin: `{"workdir": W}`. For each it takes the step's lock and answers `{"pid": P}`
(P: the process that now runs the step and holds its lock), `{"busy": true}` when another
launcher holds the lock, or `{"error": MESSAGE}`.

Why a host: a launcher process per step costs tens of milliseconds of CPU (a fresh Python), or
several even when forked from a warm one (the fork, the copy-on-write faults of everything the
child touches, the teardown of its address space) — as much as the step's own Python startup.
A thread of a process that is already warm costs a fraction of a millisecond.

What stays as it was with a process per step: each step holds its own lock (flock on its own
descriptor, released when the step ends or the host dies), marks its timeline (with the host as
the launcher), writes its record last; the executor's `poll` cannot tell the difference.
A step whose virtual environment must be built first is handed to a launcher process of its own
(`python -m cairn.launcher`, inheriting the lock): building runs `uv` through `subprocess`, which
waits on its own children, while here the main thread reaps every child.

Owns: the request loop, the threads, and the process-wide signals: the host is the subreaper of
the steps' processes; SIGCHLD wakes the main thread, which reaps every exited child and routes
the exit status to the step that started it (`Slot`); SIGUSR1 means "a cancel was requested":
every step whose `cancel.json` exists is told; SIGTERM or SIGINT cancel every step.
The host stops reading when its stdin closes (its executor closed or died) and exits once its
steps have ended — that is how steps survive a restart of the server.
Must not: start processes other than through the supervisor (a child reaped here is lost to
anyone else waiting for it), or change the process's working folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import sys
import threading
import time
from pathlib import Path

from cairn.envs.folders import ready
from cairn.launcher import control
from cairn.launcher.control import CANCEL, CANCEL_SIGNALS
from cairn.launcher.protocol import RECORD, LaunchSpec
from cairn.launcher.run import read_spec, run_step, venv_request
from cairn.launcher.supervise import adopt_orphans, drain, ignore_signal

# An exit reaped before its step said it started that process is kept this long (the step says
# so microseconds after the start, so anything older is an orphan of some step's group).
_UNCLAIMED_KEEP = 60.0


class Slot:
    """One step running on a thread of the host: its cancel flag, its wake-up pipe, and the exits
    of its processes (the `StepSignals` its supervisor waits on)."""

    def __init__(self, host: Host, folder: Path, lock_fd: int, spec: LaunchSpec | str) -> None:
        self.host = host
        self.folder = folder
        self.lock_fd = lock_fd
        self.spec = spec
        self.read_fd, self._write_fd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._cancel = False
        self._exited: list[tuple[int, int]] = []

    def cancel_requested(self) -> bool:
        return self._cancel

    def cancel(self) -> None:
        self._cancel = True
        self.wake()

    def wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # already awake: the pipe holds a byte
            os.write(self._write_fd, b"\0")

    def drain(self) -> None:
        drain(self.read_fd)

    def spawning(self) -> threading.Lock:
        return self.host.spawning

    def watch(self, pid: int, since: float) -> None:
        self.host.claim(pid, since, self)

    def exited(self) -> list[tuple[int, int]]:
        with self.host.lock:
            ended, self._exited = self._exited, []
        return ended

    def deliver(self, pid: int, status: int) -> None:
        """Called with the host's lock held."""
        self._exited.append((pid, status))
        self.wake()

    def close(self) -> None:
        os.close(self.read_fd)
        os.close(self._write_fd)
        os.close(self.lock_fd)


class Host:
    """The steps this process runs, and who started which child."""

    def __init__(self, wake_fd: int) -> None:
        self.lock = threading.Lock()
        self.spawning = threading.Lock()  # held by a step starting its processes: no reaping
        self.slots: dict[Path, Slot] = {}
        self.starting: list[Slot] = []
        self._owners: dict[int, Slot] = {}
        self._unclaimed: dict[int, tuple[int, float]] = {}  # pid: (wait status, reaped at)
        self._wake_fd = wake_fd
        self.cancel_all = False

    def launch(self, workdir: str) -> dict[str, object]:
        folder = Path(workdir).absolute()
        try:
            lock_fd = control.acquire(folder)
        except OSError as error:
            return {"error": f"cannot lock {workdir}: {error}"}
        if lock_fd is None:
            return {"busy": True}
        spec = read_spec(folder)  # read once: the step's thread is handed what was read
        if _needs_build(spec):
            try:
                return {"pid": control.spawn_launcher(folder, lock_fd)}
            except OSError as error:
                return {"error": f"cannot start a launcher for {workdir}: {error}"}
            finally:
                os.close(lock_fd)  # the launcher's inherited copy keeps the lock
        slot = Slot(self, folder, lock_fd, spec)
        with self.lock:
            self.slots[folder] = slot
        # After registering, so that a cancel requested before now is seen here and one requested
        # from now on is seen by `look_for_cancels`.
        if self.cancel_all or (folder / CANCEL).exists():
            slot.cancel()
        self.starting.append(slot)  # its thread starts once the executor has its answer
        return {"pid": os.getpid()}

    def start_threads(self) -> None:
        """Start the threads of the steps just registered."""
        for slot in self.starting:
            threading.Thread(
                target=self._run, args=(slot,), name=f"step {slot.folder.name}"
            ).start()
        self.starting.clear()

    def _run(self, slot: Slot) -> None:
        try:
            if not (slot.folder / RECORD).exists():  # a completed step never runs twice
                run_step(slot.folder, slot, may_build=False, spec=slot.spec)
        finally:
            with self.lock:
                del self.slots[slot.folder]
                for pid in [pid for pid, owner in self._owners.items() if owner is slot]:
                    del self._owners[pid]  # its processes' exits are now of no one's concern
            slot.close()  # releases the step's lock: from now on `poll` reads the record
            with contextlib.suppress(BlockingIOError):
                os.write(self._wake_fd, b"\0")  # the main loop may be waiting to exit

    def claim(self, pid: int, since: float, slot: Slot) -> None:
        """`slot` started `pid` at `since`; an exit already reaped after `since` is delivered."""
        with self.lock:
            reaped = self._unclaimed.pop(pid, None)
            if reaped is not None and reaped[1] >= since:
                slot.deliver(pid, reaped[0])
            else:
                self._owners[pid] = slot

    def reap(self) -> None:
        """Collect every exited child and hand each exit to the step that started the process."""
        now = time.monotonic()
        while True:
            with self.spawning:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
            if pid == 0:
                break
            with self.lock:
                owner = self._owners.pop(pid, None)
                if owner is not None:
                    owner.deliver(pid, status)
                else:
                    self._unclaimed[pid] = (status, now)
        with self.lock:
            for pid in [p for p, (_, at) in self._unclaimed.items() if now - at > _UNCLAIMED_KEEP]:
                del self._unclaimed[pid]

    def look_for_cancels(self) -> None:
        with self.lock:
            slots = list(self.slots.values())
        for slot in slots:
            if self.cancel_all or (slot.folder / CANCEL).exists():
                slot.cancel()


def serve(requests: int = 0, replies: int = 1) -> int:
    """Answer launch requests from descriptor `requests` on `replies` until end of input, then
    wait for the running steps to end."""
    wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    host = Host(wake_write)
    looked = threading.Event()

    def on_cancel(signum: int, frame: object) -> None:
        looked.set()
        if signum != signal.SIGUSR1:
            host.cancel_all = True

    signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    for signum in CANCEL_SIGNALS:
        signal.signal(signum, on_cancel)
    signal.signal(signal.SIGCHLD, ignore_signal)  # a Python handler, so the wake-up pipe is written
    signal.signal(signal.SIGHUP, ignore_signal)  # handled, not ignored: steps get the default
    signal.pthread_sigmask(signal.SIG_UNBLOCK, CANCEL_SIGNALS)
    adopt_orphans()
    _reply(replies, {"ready": os.getpid()})
    reading = True
    pending = b""
    while reading or host.slots:
        watched = [requests, wake_read] if reading else [wake_read]
        readable, _, _ = select.select(watched, [], [])
        if wake_read in readable:
            drain(wake_read)
            host.reap()
            if looked.is_set():
                looked.clear()
                host.look_for_cancels()
        if reading and requests in readable:
            chunk = os.read(requests, 65536)
            if not chunk:
                reading = False
                continue
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                reading = _reply(replies, _handle(host, line)) and reading
                host.start_threads()  # after the answer: starting a thread waits for it to run
    host.reap()
    return 0


def _handle(host: Host, line: bytes) -> dict[str, object]:
    try:
        workdir = str(json.loads(line)["workdir"])
    except (ValueError, KeyError, TypeError) as error:
        return {"error": f"bad request: {error}"}
    return host.launch(workdir)


def _needs_build(spec: LaunchSpec | str) -> bool:
    """True when the step's virtual environment is not built yet (see the module docstring)."""
    venv = venv_request(spec) if not isinstance(spec, str) else None
    return venv is not None and ready(venv[1], venv[0].identity) is None


def _reply(fd: int, message: dict[str, object]) -> bool:
    """False when the executor is gone (its end of the pipe closed)."""
    try:
        os.write(fd, json.dumps(message).encode() + b"\n")
    except BrokenPipeError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(serve())
