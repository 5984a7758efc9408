"""Engine processes for the recovery tests and the kill loop: `python -m cairn.engine`, or the
same entry point in an interpreter started ahead of need.

A fresh interpreter spends over a second importing Cairn before the engine does anything; tests
that start a dozen engines would spend most of their time there. An `EnginePool` with `standby`
keeps one spare interpreter that has done its imports and waits on its stdin; `start` hands it
the arguments (and the log to write to), and it calls `cairn.engine.__main__.main` at once — a
new process with nothing of its own yet, exactly as a restarted engine starts, only warm. A
fresh spare is spawned for the next start. Without `standby`, each start is a cold
`python -m cairn.engine`.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

LEASE = 1.0
GRACE = 1.0
POLL = 0.2

# Runs in the spare interpreter: import, wait for the go (arguments and log), run the engine.
_STANDBY = """
import json, os, sys
import cairn.engine.__main__ as entry
request = sys.stdin.readline()
if not request:
    sys.exit(0)
order = json.loads(request)
log = os.open(order["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
os.dup2(log, 1)
os.dup2(log, 2)
sys.exit(entry.main(order["argv"]))
"""


def engine_argv(home: Path, lease: float) -> list[str]:
    return [
        "--home",
        str(home),
        "--lease",
        str(lease),
        "--grace",
        str(GRACE),
        "--poll-interval",
        str(POLL),
    ]


class EngineProcess:
    """One engine process, in a session of its own (as a daemon would run)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL: no handler runs, no lease is handed back."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM: the engine stops as a server shutting down does."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # in case a test froze it
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class EnginePool:
    """Starts engine processes, warm (`standby`) or cold."""

    def __init__(self, *, standby: bool = True) -> None:
        self.standby = standby
        self._spare: subprocess.Popen[bytes] | None = self._spawn() if standby else None

    def start(self, home: Path, log: Path, *, lease: float = LEASE) -> EngineProcess:
        argv = engine_argv(home, lease)
        if self._spare is None:
            with log.open("ab") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "cairn.engine", *argv],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            return EngineProcess(process)
        process, self._spare = self._spare, self._spawn()
        assert process.stdin is not None
        process.stdin.write(json.dumps({"argv": argv, "log": str(log)}).encode() + b"\n")
        process.stdin.close()
        return EngineProcess(process)

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-c", _STANDBY],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def close(self) -> None:
        """Dismiss the spare (it has touched nothing: it ends when its stdin closes)."""
        if self._spare is not None:
            assert self._spare.stdin is not None
            self._spare.stdin.close()
            self._spare.wait(timeout=30)
            self._spare = None
