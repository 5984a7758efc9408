"""The local executor: steps run on this machine, supervised by launchers in sessions of their own.

Owns: handing steps to the step host (`cairn.launcher.host`, started with the executor; a thread of
one warm process per step), or — when it is unavailable — starting `python -m cairn.launcher`
afresh for each step;
the Unix datagram socket on which launchers report progress, read by one thread into `events`;
`poll`, `cancel` and `logs` over the step's folder, which work for steps started by an earlier
executor (or server) as well, since they only read the folder and its lock.
Must not: run or supervise a step itself — the launcher does — or keep state that a restart would
need: everything a new executor needs is in the step folders.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import queue
import signal
import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import NotFound
from cairn.executors.base import Alive, ExecutorEvent, Gone
from cairn.executors.hosting import HostUnavailable, StepHost
from cairn.launcher import control
from cairn.launcher.protocol import SPEC, STD_LOG, USER_LOGS, LaunchSpec, StepRecord

if TYPE_CHECKING:
    from cairn.executors.base import Executor

_EVENTS = frozenset({"preparing", "running", "finalizing", "ended"})
# The longest filesystem path a Unix socket can be bound to (sun_path, with its NUL).
_MAX_SOCKET_PATH = 107
# How long `cancel` waits for a just-started launcher to say who it is.
_PID_WAIT = 1.0


class LocalExecutor:
    """Steps as local processes (see the module docstring)."""

    name = "local"

    def __init__(self, socket_path: str | os.PathLike[str], *, host: bool = True) -> None:
        """Listen for launcher events at `socket_path` (created; a stale one is replaced) and,
        unless `host` is False, start the step host."""
        self._events: queue.SimpleQueue[ExecutorEvent] = queue.SimpleQueue()
        self._socket_path = Path(socket_path)
        self._socket, self.notify = _bind(self._socket_path)
        self._bound_inode = _inode(self._socket_path) if not self.notify.startswith("\0") else None
        self._listener = threading.Thread(target=self._listen, name="cairn-events", daemon=True)
        self._listener.start()
        self._host: StepHost | None = StepHost.start() if host else None
        self._host_restarted = False
        self._launched: dict[str, int] = {}
        self._spawned: list[int] = []
        self._lock = threading.Lock()

    @property
    def events(self) -> queue.SimpleQueue[ExecutorEvent]:
        return self._events

    def with_notify(self, spec: LaunchSpec) -> LaunchSpec:
        """`spec` with `notify` set to this executor's socket (call before `spec.write()`)."""
        return dataclasses.replace(spec, notify=self.notify)

    def launch(self, spec: LaunchSpec) -> None:
        workdir = spec.workdir
        if not Path(workdir).is_dir():
            raise NotFound(f"step folder {workdir!r} does not exist")
        with self._lock:
            self._reap()
            pid = self._hand_over(workdir) if self._host is not None else None
            if pid is None:
                pid = self._spawn(workdir)
            if pid > 0:
                self._launched[str(Path(workdir))] = pid

    def _hand_over(self, workdir: str) -> int | None:
        """The pid of the process that runs the step (0: another launcher holds it), or None
        to spawn a launcher instead. A host found gone (killed: its steps were lost with it) is
        replaced once; if that one fails too, steps get launcher processes from then on."""
        reply = self._ask_host(workdir)
        if reply is None and not self._host_restarted:
            self._host_restarted = True
            self._host = StepHost.start()
            reply = self._ask_host(workdir)
        if reply is None:
            return None
        if reply.get("busy"):
            return 0
        pid = reply.get("pid")
        return pid if isinstance(pid, int) else None

    def _ask_host(self, workdir: str) -> dict[str, Any] | None:
        """The host's reply, or None (and no host) when it is unavailable."""
        if self._host is None:
            return None
        try:
            return self._host.request({"workdir": workdir})
        except HostUnavailable:
            self._host.close()
            self._host = None
            return None

    def _spawn(self, workdir: str) -> int:
        """Start a fresh launcher process holding the lock taken here; 0 when already held."""
        lock_fd = control.acquire(workdir)
        if lock_fd is None:
            return 0
        try:
            pid = control.spawn_launcher(workdir, lock_fd)
        finally:
            os.close(lock_fd)  # the launcher's inherited copy keeps the lock
        self._spawned.append(pid)
        return pid

    def _reap(self) -> None:
        """Collect launchers this executor spawned directly that have exited."""
        for pid in list(self._spawned):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self._spawned.remove(pid)

    def poll(self, workdir: Path) -> StepRecord | Alive | Gone:
        record = StepRecord.read(workdir)
        if record is not None:
            self._launched.pop(str(Path(workdir)), None)
            return record
        if control.is_held(workdir):
            return Alive()
        # The launcher may have written its record and exited between the two looks.
        record = StepRecord.read(workdir)
        return record if record is not None else Gone()

    def cancel(self, workdir: Path, grace: float) -> None:
        folder = Path(workdir)
        if StepRecord.read(folder) is not None:
            return
        control.request_cancel(folder, grace)
        if control.is_held(folder):
            pid = self._launcher_pid(folder)
            if pid is not None:
                _signal(pid, signal.SIGUSR1)  # "look at cancel.json": the host runs other steps
            return
        # The launcher is gone (killed): stop what it left running itself.
        pgid = (control.read_pids(folder) or {}).get("pgid")
        if isinstance(pgid, int):
            marker = _step_marker(folder)
            _stop_group(pgid, marker, signal.SIGTERM)
            timer = threading.Timer(grace, _stop_group, (pgid, marker, signal.SIGKILL))
            timer.daemon = True
            timer.start()

    def _launcher_pid(self, folder: Path) -> int | None:
        waited = threading.Event()
        for _ in range(int(_PID_WAIT / 0.01)):
            pid = (control.read_pids(folder) or {}).get("launcher_pid")
            if isinstance(pid, int):
                return pid
            if str(folder) in self._launched:
                return self._launched[str(folder)]
            waited.wait(0.01)  # only while a launcher that holds the lock has not yet said who
        return None

    def logs(self, workdir: Path) -> Path:
        return Path(workdir) / USER_LOGS / STD_LOG

    def close(self) -> None:
        """Stop the event thread and let go of the step host; running steps keep running."""
        if self._host is not None:
            self._host.close()
            self._host = None
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)  # wakes the listener with an empty read
        self._listener.join(timeout=5)
        self._socket.close()
        if self._bound_inode is not None and _inode(self._socket_path) == self._bound_inode:
            self._socket_path.unlink(missing_ok=True)  # unless a newer executor took the path

    def _listen(self) -> None:
        while True:
            try:
                data = self._socket.recv(65536)
            except OSError:
                return
            if not data:
                return
            event = _parse_event(data)
            if event is not None:
                self._events.put(event)


def _bind(path: Path) -> tuple[socket.socket, str]:
    """A datagram socket bound at `path`, and the address launchers send to. A path too long
    for a Unix socket is replaced by an abstract address derived from it (Linux)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    address = str(path)
    if len(os.fsencode(address)) > _MAX_SOCKET_PATH:
        address = "\0cairn-" + hashlib.sha256(os.fsencode(address)).hexdigest()[:32]
    else:
        path.unlink(missing_ok=True)  # a socket left by an executor that died
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    return sock, address


def _inode(path: Path) -> int | None:
    try:
        return path.lstat().st_ino
    except FileNotFoundError:
        return None


def _parse_event(data: bytes) -> ExecutorEvent | None:
    try:
        message: Any = json.loads(data)
        event = message["event"]
        if event not in _EVENTS:
            return None
        return ExecutorEvent(str(message["workdir"]), event, float(message["at"]))
    except (ValueError, KeyError, TypeError):
        return None  # not from a launcher; the socket is only a hint channel


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _step_marker(folder: Path) -> bytes:
    """How the step's processes are recognised: the `CAIRN_WORKDIR` their launcher gave them."""
    try:
        workdir = LaunchSpec.from_json((folder / SPEC).read_text()).workdir
    except (OSError, ValueError, TypeError):
        workdir = str(folder)
    return f"\0CAIRN_WORKDIR={workdir}\0".encode()


def _stop_group(pgid: int, marker: bytes, signum: int) -> None:
    """Signal group `pgid` if a live process of it is one of the step's — so that a group id
    reused by an unrelated program after the step's processes died is never signalled."""
    if _group_has(pgid, marker):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signum)


def _group_has(pgid: int, marker: bytes) -> bool:
    with os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) != pgid:
                    continue
                if marker in b"\0" + Path(entry.path, "environ").read_bytes():
                    return True
            except (OSError, IndexError, ValueError):
                continue
    return False


if TYPE_CHECKING:
    _CONFORMS: type[Executor] = LocalExecutor  # mypy checks the protocol is implemented
