"""The local executor's side of the launch server (`forkserver`): start it, ask it, stop it.

Owns: the server process (started in its own session, so a terminal's signals do not reach it),
its pipes, and one request/reply exchange at a time with a deadline, so that a hung or dead server
turns into `ZygoteUnavailable` (the executor then starts launchers afresh) instead of a hang.
Must not: be shared between threads without the caller's lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import time
from typing import Any

from cairn.errors import CairnError

# The server imports the launcher before it says it is ready: a fraction of a second normally,
# much longer on a loaded CI machine.
READY_TIMEOUT = 60.0
REPLY_TIMEOUT = 30.0


class ZygoteUnavailable(CairnError):
    """The launch server is gone, hung, or answered nonsense."""

    code = "launch_server_unavailable"


class Zygote:
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        assert process.stdin is not None and process.stdout is not None
        self._requests = process.stdin.fileno()
        self._replies = process.stdout.fileno()
        self._pending = b""
        self.pid: int | None = None  # known once the server said it is ready

    @classmethod
    def start(cls) -> Zygote | None:
        """Start the server (not waiting for it to be ready); None when it cannot start."""
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "cairn.executors.forkserver"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError:
            return None
        return cls(process)

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one request and return the server's reply."""
        if self.pid is None:
            ready = self._read_reply(READY_TIMEOUT)
            if not isinstance(ready.get("ready"), int):
                raise ZygoteUnavailable(f"launch server said {ready!r} instead of ready")
            self.pid = ready["ready"]
        try:
            os.write(self._requests, json.dumps(message).encode() + b"\n")
        except OSError as error:
            raise ZygoteUnavailable(f"launch server is gone: {error}") from error
        return self._read_reply(REPLY_TIMEOUT)

    def _read_reply(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            readable, _, _ = select.select([self._replies], [], [], max(0.0, remaining))
            if not readable:
                raise ZygoteUnavailable(f"launch server did not answer within {timeout:g} s")
            chunk = os.read(self._replies, 65536)
            if not chunk:
                raise ZygoteUnavailable("launch server exited")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        try:
            reply = json.loads(line)
        except ValueError as error:
            raise ZygoteUnavailable(f"launch server answered {line!r}") from error
        if not isinstance(reply, dict):
            raise ZygoteUnavailable(f"launch server answered {line!r}")
        return reply

    def close(self) -> None:
        """Close the server's input (it exits; the launchers it forked do not) and reap it."""
        assert self.process.stdin is not None and self.process.stdout is not None
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
