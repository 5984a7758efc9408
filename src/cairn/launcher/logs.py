"""The user command's log: lines from a pipe, stamped, written as they come, capped.

Owns: `user_logs/std_log.txt` (and `std_log_process_<rank>.txt`): each line prefixed with the UTC
time it was read (`2024-05-01T12:00:00.123Z `), written with one `write` per batch of lines so
that a reader sees whole lines while the step runs; the cap (`log_cap_bytes`) after which one
notice line is written and further output is read and dropped, so the command never blocks on a
full pipe; and the last lines (unstamped) for the record.
Must not: decide when to stop reading — the supervisor owns the pipes' lifetime.

Hand-written: a few lines over `os.read`; a logging framework would add formatting cost per line
and its own buffering, which is exactly what must not stand between the step and its reader.
"""

from __future__ import annotations

import io
import os
import time
from collections import deque
from pathlib import Path

TAIL_LINES = 50
# A line longer than this (a progress bar without newlines) is written in pieces.
_MAX_PARTIAL = 64 * 1024
_READ = 64 * 1024
_NOTICE = "[cairn] log truncated: it reached {cap} bytes; further output is dropped\n"


def stamp(at: float) -> bytes:
    """ISO-8601 UTC with milliseconds and a trailing space: `2024-05-01T12:00:00.123Z `."""
    whole = int(at)
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        + f".{int((at - whole) * 1000):03d}Z "
    ).encode()


class LogSink:
    """One log file, appended to until `cap` bytes, then closed off with a notice."""

    def __init__(self, path: Path, cap: int) -> None:
        self.path = path
        self.cap = cap
        self.written = 0
        self.truncated = False
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)

    def write(self, data: bytes) -> None:
        if self.truncated or not data:
            return
        room = self.cap - self.written
        if len(data) > room:
            cut = data.rfind(b"\n", 0, room) + 1  # keep whole lines only
            notice = stamp(time.time()) + _NOTICE.format(cap=self.cap).encode()
            data = data[:cut] + notice
            self.truncated = True
        os.write(self._fd, data)
        self.written += len(data)

    def close(self) -> None:
        os.close(self._fd)


class Pump:
    """Reads one process's output pipe and writes stamped lines to its sinks."""

    def __init__(self, fd: int, sinks: list[tuple[LogSink, bytes]], tail: deque[bytes]) -> None:
        self.fd = fd
        self.sinks = sinks  # (sink, prefix placed after the time stamp)
        self.tail = tail
        self._partial = b""
        os.set_blocking(fd, False)
        # One buffer for the pipe's life: reading into it allocates nothing per read.
        self._pipe = io.FileIO(fd, "rb", closefd=False)
        self._buffer = bytearray(_READ)
        self._view = memoryview(self._buffer)

    def read(self) -> bool:
        """Consume what the pipe holds now; False once it reached end of file (then closed)."""
        while True:
            count = self._pipe.readinto(self._view)
            if count is None:  # nothing more for now (non-blocking pipe)
                return True
            if count == 0:
                self.close()
                return False
            self._take(bytes(self._view[:count]))

    def close(self) -> None:
        """Write a last unterminated line, if any, and close the pipe."""
        if self._partial:
            self._emit([self._partial])
            self._partial = b""
        self._view.release()
        self._pipe.close()
        os.close(self.fd)

    def _take(self, chunk: bytes) -> None:
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        if len(self._partial) > _MAX_PARTIAL:
            lines.append(self._partial)
            self._partial = b""
        self._emit(lines)

    def _emit(self, lines: list[bytes]) -> None:
        if not lines:
            return
        now = stamp(time.time())
        for sink, prefix in self.sinks:
            head = now + prefix
            sink.write(b"".join(head + line + b"\n" for line in lines))
        prefix = self.sinks[0][1] if self.sinks else b""
        self.tail.extend((prefix + line for line in lines) if prefix else lines)


def tail_text(tail: deque[bytes]) -> list[str]:
    """The record's log tail: the last lines as text (undecodable bytes replaced)."""
    return [line.decode("utf-8", "replace").rstrip("\r") for line in tail]


def new_tail() -> deque[bytes]:
    return deque(maxlen=TAIL_LINES)
