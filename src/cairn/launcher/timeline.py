"""The launcher's timeline: `events.jsonl` in the work folder, mirrored to the executor's socket.

Owns: the phase marks (`preparing`, `running`, `finalizing`, `ended`) with their epoch times, the
append-only file and the best-effort datagram to `LaunchSpec.notify` for the marks the engine acts
on (`running`, `ended`: the others it reads from the record, so sending them would only wake it).
Two marks carry what the outside needs to steer the step (`cairn.launcher.control.read_pids`):
`preparing` the launcher's pid, written before anything else, and `running` the process group of
the user command, written as soon as the group exists.
Must not: block or fail the step — a full or missing socket only loses a latency hint, since the
executor's `poll` (the record and the lock) is the source of truth.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from pathlib import Path

from cairn.launcher.protocol import EVENTS

NOTIFIED = frozenset({"running", "ended"})


class Timeline:
    """Phase marks of one step, kept in `times` for the record."""

    def __init__(self, workdir: Path) -> None:
        self.key = str(workdir)  # how the engine names the step's folder (`LaunchSpec.workdir`)
        self.times: dict[str, float] = {}
        self._file = os.open(
            workdir / EVENTS, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644
        )
        self._notify: str | None = None
        self._socket: socket.socket | None = None

    def address(self, key: str, notify: str | None) -> None:
        """Send the marks the engine acts on to `notify`, naming the step `key`."""
        self.key, self._notify = key, notify
        if notify:
            try:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._socket.setblocking(False)
            except OSError:
                self._socket = None

    def mark(self, event: str, at: float | None = None, **extra: int) -> float:
        """Record that the step entered `event` (now, unless `at` says when), with `extra` facts
        (`pid`, `pgid`); returns the time."""
        at = time.time() if at is None else at
        self.times[event] = at
        message = json.dumps({"workdir": self.key, "event": event, "at": at, **extra}).encode()
        os.write(self._file, message + b"\n")
        if self._socket is not None and self._notify and event in NOTIFIED:
            # Best effort by contract: the executor may be gone or restarting.
            with contextlib.suppress(OSError):
                self._socket.sendto(message, self._notify)
        return at

    def close(self) -> None:
        os.close(self._file)
        if self._socket is not None:
            self._socket.close()
