"""The launcher's timeline: `events.jsonl` in the work folder, mirrored to the executor's socket.

Owns: the phase marks (`preparing`, `running`, `finalizing`, `ended`) with their epoch times, the
append-only file and the best-effort datagram to `LaunchSpec.notify` for the marks the engine acts
on (`running`, `ended`: the others it reads from the record, so sending them would only wake it).
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

    def __init__(self, workdir: Path, key: str, notify: str | None) -> None:
        self.key = key  # how the engine names the step's folder (`LaunchSpec.workdir`)
        self.times: dict[str, float] = {}
        self._file = os.open(
            workdir / EVENTS, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644
        )
        self._notify = notify
        self._socket: socket.socket | None = None
        if notify:
            try:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._socket.setblocking(False)
            except OSError:
                self._socket = None

    def mark(self, event: str, at: float | None = None) -> float:
        """Record that the step entered `event` (now, unless `at` says when); returns the time."""
        at = time.time() if at is None else at
        self.times[event] = at
        message = json.dumps({"workdir": self.key, "event": event, "at": at}).encode()
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
