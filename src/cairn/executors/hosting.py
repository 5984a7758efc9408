"""The local executor's side of the step host (`cairn.launcher.host`): start it, ask it, let go.

Owns: the host process (started in its own session, so a terminal's signals do not reach it),
its pipes, and one request/reply exchange at a time with a deadline, so that a hung or dead host
turns into `HostUnavailable` (the executor then starts launchers afresh) instead of a hang.
Must not: be shared between threads without the caller's lock, or wait for the host to exit: it
runs its steps to their end after the executor let go.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import threading
import time
from typing import Any

from cairn.errors import CairnError

# The host imports the launcher before it says it is ready: a fraction of a second normally,
# much longer on a loaded CI machine.
READY_TIMEOUT = 60.0
REPLY_TIMEOUT = 30.0


class HostUnavailable(CairnError):
    """The step host is gone, hung, or answered nonsense."""

    code = "step_host_unavailable"


class StepHost:
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        assert process.stdin is not None and process.stdout is not None
        self._requests = process.stdin.fileno()
        self._replies = process.stdout.fileno()
        self._pending = b""
        self.pid: int | None = None  # known once the host said it is ready

    @classmethod
    def start(cls) -> StepHost | None:
        """Start the host (not waiting for it to be ready); None when it cannot start."""
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "cairn.launcher.host"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError:
            return None
        return cls(process)

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one request and return the host's reply."""
        if self.pid is None:
            ready = self._read_reply(READY_TIMEOUT)
            if not isinstance(ready.get("ready"), int):
                raise HostUnavailable(f"step host said {ready!r} instead of ready")
            self.pid = ready["ready"]
        try:
            os.write(self._requests, json.dumps(message).encode() + b"\n")
        except OSError as error:
            raise HostUnavailable(f"step host is gone: {error}") from error
        return self._read_reply(REPLY_TIMEOUT)

    def _read_reply(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            readable, _, _ = select.select([self._replies], [], [], max(0.0, remaining))
            if not readable:
                raise HostUnavailable(f"step host did not answer within {timeout:g} s")
            chunk = os.read(self._replies, 65536)
            if not chunk:
                raise HostUnavailable("step host exited")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        try:
            reply = json.loads(line)
        except ValueError as error:
            raise HostUnavailable(f"step host answered {line!r}") from error
        if not isinstance(reply, dict):
            raise HostUnavailable(f"step host answered {line!r}")
        return reply

    def close(self) -> None:
        """Close the host's input: it takes no more steps, and exits once those it runs ended.
        A thread reaps it then (the host is this process's child)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        self.process.stdout.close()
        threading.Thread(target=self.process.wait, name="cairn-host-reaper", daemon=True).start()
