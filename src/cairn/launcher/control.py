"""How the outside sees and steers a launcher: the step lock, its pids, and cancel requests.

Owns: the step lock — a flock (exclusive) on the step's work folder itself, held by the one
launcher of a step for its whole life; reading which launcher runs the step (a launcher process
of the step's own, or the step host that runs it on a thread) and the user command's process
group from the launcher's timeline (`events.jsonl`: the `preparing` mark names the launcher, the
`running` mark the group); `cancel.json` — the grace period a canceller asked for, written before
it sends the launcher SIGUSR1 ("look for cancel requests"); and starting a launcher process that
inherits a lock already taken.
Must not: interpret what a free lock means (the caller decides between "ended" and "lost").

Why flock: the kernel releases it when the holder dies, however it dies, and it cannot be fooled
by pid reuse. Probes take a *shared* lock for a few microseconds, so two probes never disturb each
other; a launcher that meets a probe's shared lock retries briefly rather than concluding that
another launcher owns the step. Why on the folder and in the timeline, not in files of their own:
every file a step creates costs an inode, and on a file system without a journal (ext4 on this
project's reference machine) each new inode is found by scanning past the recently deleted ones,
which made the step's own bookkeeping files the largest CPU cost of a short step.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from cairn.launcher.protocol import EVENTS

CANCEL = "cancel.json"
# TERM and INT cancel every step a launcher runs; USR1 cancels those whose cancel.json exists (how
# one step of a host that runs several is canceled). Blocked by whoever starts a launcher until
# its handlers are in place: the default action of each ends the process.
CANCEL_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGUSR1})
# A probe holds the lock for microseconds; these retries (about 30 ms in all) outlast any probe
# while still answering at once in the common, uncontended case.
_RETRY_DELAYS = (0.001, 0.002, 0.004, 0.008, 0.016)
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def acquire(workdir: str | os.PathLike[str]) -> int | None:
    """Open and exclusively lock the step's work folder: its descriptor (not inherited by child
    processes), or None when another launcher holds it."""
    fd = os.open(workdir, _FOLDER)
    for delay in _RETRY_DELAYS:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            time.sleep(delay)
        else:
            return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def is_held(workdir: str | os.PathLike[str]) -> bool:
    """True while some process holds the step's lock exclusively (its launcher is alive)."""
    try:
        fd = os.open(workdir, _FOLDER)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing the descriptor releases the shared lock the probe took
    return False


def read_pids(workdir: Path) -> dict[str, Any]:
    """`launcher_pid` and `pgid` as the launcher's timeline names them (each absent until marked).

    Each mark is one `write` of a whole line to a file opened for appending; a line cut short by
    a launcher that died while writing it is skipped."""
    found: dict[str, Any] = {}
    try:
        lines = (Path(workdir) / EVENTS).read_bytes().splitlines()
    except OSError:
        return found
    for line in lines:
        try:
            mark = json.loads(line)
        except ValueError:
            continue
        if isinstance(mark, dict):
            if isinstance(mark.get("pid"), int):
                found["launcher_pid"] = mark["pid"]
            if isinstance(mark.get("pgid"), int):
                found["pgid"] = mark["pgid"]
    return found


def request_cancel(workdir: Path, grace: float) -> None:
    """Ask for the step's cancel, with `grace` before KILL; the launcher acts on it when it
    receives SIGUSR1 (or as soon as it starts)."""
    _write_json(workdir / CANCEL, {"grace": grace, "at": time.time()})


def requested_grace(workdir: Path, default: float) -> float:
    """The grace period asked for in `cancel.json`, else `default`."""
    data = _read_json(workdir / CANCEL)
    grace = data.get("grace") if data else None
    if isinstance(grace, int | float) and not isinstance(grace, bool) and grace >= 0:
        return float(grace)
    return default


def spawn_launcher(workdir: str | os.PathLike[str], lock_fd: int) -> int:
    """Start `python -m cairn.launcher WORKDIR` in a session of its own, handing it `lock_fd`
    (the step's lock, taken by the caller, who may close its copy once this returns); its pid."""
    return os.posix_spawn(
        sys.executable,
        [sys.executable, "-m", "cairn.launcher", str(workdir), "--lock-fd", "3"],
        os.environ,
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_DUP2, lock_fd, 3),
        ],
        setsid=True,
        setsigmask=CANCEL_SIGNALS,  # until the launcher's handlers are in place
    )


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temp = f"{path.parent}/.{path.name}.{os.getpid()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, json.dumps(data).encode())
    finally:
        os.close(fd)
    Path(temp).replace(path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None
