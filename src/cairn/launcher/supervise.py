"""Running the user command: its process group, its log pipes, its timeout, its cancellation.

Owns: starting every process of the step in one new process group (the first process leads it;
the ranks of a distributed step join it), pumping their output into the logs, and the one loop
that waits for all of it. The loop sleeps in `select` on the log pipes and on the wake-up pipe of
its `StepSignals` (written when a process of the step ended or a cancel arrived), with the time to
the next deadline as its timeout — no polling while the command runs.
Stopping (timeout, cancel, a failed rank) is TERM to the whole group, then KILL after the grace
period. Processes the command left behind when it exited get the same treatment, so nothing of
the step outlives it.

Two owners of the signals: `Signals`, for a launcher process that runs one step (its own signal
handlers, and it reaps its children itself), and the step host's slots (`cairn.launcher.host`),
where one process runs many steps on threads and its main thread reaps every child and routes each
exit to the step that started it. Processes are started with `subprocess.Popen` (vfork + exec,
with a working folder of their own, which `os.posix_spawn` cannot give) and never waited on through
it: the reaper owns waiting, and tells the `Popen` the exit status so it is not tracked further.
Must not: decide the step's status (it reports how the processes ended), or touch outputs.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from cairn.launcher.control import CANCEL, CANCEL_SIGNALS
from cairn.launcher.distribution import ProcessPlan
from cairn.launcher.logs import LogSink, Pump, new_tail, tail_text
from cairn.launcher.outcome import StepFailure
from cairn.launcher.protocol import STD_LOG
from cairn.launcher.shell import direct

Stop = Literal["timeout", "canceled", "failed"]
# While only leftovers of an exited command remain, their group is checked this often (a safety
# net: as their subreaper the launcher normally hears of each exit through SIGCHLD).
_LEFTOVER_CHECK = 0.1
_PR_SET_CHILD_SUBREAPER = 36
_LIBC = ctypes.CDLL(None, use_errno=True)
# After KILL, how long to wait for the kernel to finish (or for unreaped zombies) before going on.
_AFTER_KILL = 1.0


class StepSignals(Protocol):
    """What the supervisor waits on: a pipe that becomes readable when something happened, the
    cancel flag, and the exits of the processes it started."""

    read_fd: int

    def drain(self) -> None:
        """Empty the wake-up pipe."""

    def cancel_requested(self) -> bool:
        """True once the step was asked to cancel."""

    def spawning(self) -> AbstractContextManager[object]:
        """Held while the step's processes start: no child is reaped meanwhile, so a leader that
        exits at once stays a zombie and its group exists for the ranks that join it."""

    def watch(self, pid: int, since: float) -> None:
        """`pid`, started at monotonic time `since`, is a process of this step."""

    def exited(self) -> list[tuple[int, int]]:
        """`(pid, wait status)` of the children that ended since the last call."""


class Signals:
    """The signals of a launcher process that runs one step: TERM or INT cancel it, USR1 cancels
    it when `folder`'s cancel.json exists, SIGCHLD wakes it (see the module docstring)."""

    def __init__(self, folder: Path | None = None) -> None:
        self._cancel_requested = False
        self._folder = folder
        self.read_fd, self._write_fd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(self._write_fd, warn_on_full_buffer=False)
        signal.signal(signal.SIGTERM, self._cancel)
        signal.signal(signal.SIGINT, self._cancel)
        signal.signal(signal.SIGUSR1, self._look)
        signal.signal(
            signal.SIGCHLD, ignore_signal
        )  # a Python handler, so the wake-up pipe is written
        signal.signal(
            signal.SIGHUP, ignore_signal
        )  # handled, not ignored: the step gets the default
        # Whoever started this launcher may have blocked the cancel signals until now, so that a
        # cancel sent the instant the step was handed over waits for these handlers instead of
        # killing the launcher before it could write a record.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, CANCEL_SIGNALS)

    def _cancel(self, signum: int, frame: object) -> None:
        self._cancel_requested = True

    def _look(self, signum: int, frame: object) -> None:
        if self._folder is not None and (self._folder / CANCEL).exists():
            self._cancel_requested = True

    def cancel_requested(self) -> bool:
        """True once a cancel arrived (a method: the flag changes under the caller)."""
        return self._cancel_requested

    def drain(self) -> None:
        drain(self.read_fd)

    def spawning(self) -> AbstractContextManager[object]:
        return contextlib.nullcontext()  # this process reaps only when its loop asks

    def watch(self, pid: int, since: float) -> None:
        return None  # this process reaps its own children

    def exited(self) -> list[tuple[int, int]]:
        """Every child that ended (orphans of the step's group included: this process is their
        subreaper)."""
        ended: list[tuple[int, int]] = []
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return ended
            if pid == 0:
                return ended
            ended.append((pid, status))


def drain(fd: int) -> None:
    """Empty a non-blocking wake-up pipe."""
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def ignore_signal(signum: int, frame: object) -> None:
    """A handler that does nothing: the signal only wakes the process's wake-up pipe, and a
    handled (not ignored) signal is back to its default in the programs a step starts."""
    return


def adopt_orphans() -> bool:
    """Make this process the subreaper of its descendants (Linux): a process of the step whose
    parent exits is handed to the launcher, not to init, so the launcher reaps it at once and
    learns when the group is empty from SIGCHLD — init may leave zombies for a long while, and a
    zombie still counts as a member of its group. False where this is not available."""
    prctl = getattr(_LIBC, "prctl", None)
    return prctl is not None and int(prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0


@dataclass(frozen=True)
class Ended:
    """How the step's processes ended."""

    exit_code: int
    """0, or the first failure's exit status (128 + N for death by signal N)."""
    stopped: Stop | None
    message: str
    log_tail: list[str]


@dataclass(frozen=True)
class Command:
    script: str
    env: dict[str, str]
    cwd: Path
    logs: Path
    log_cap: int
    timeout: float | None
    grace: float


class Supervisor:
    """Starts the step's processes and waits for them (see the module docstring)."""

    def __init__(
        self,
        command: Command,
        plans: list[ProcessPlan],
        signals: StepSignals,
        cancel_grace: Callable[[], float],
    ) -> None:
        self.command = command
        self.plans = plans
        self.signals = signals
        self.cancel_grace = cancel_grace
        self.pgid: int | None = None
        self.tail = new_tail()
        self._sinks: list[LogSink] = []
        self._pumps: list[Pump] = []
        self._running: dict[int, tuple[ProcessPlan, subprocess.Popen[bytes]]] = {}  # by pid
        self._stop: Stop | None = None
        self._failure: tuple[ProcessPlan, int] | None = None
        self._kill_at: float | None = None
        self._killed = False
        self._give_up_at: float | None = None

    def start(self, on_group: Callable[[int], object]) -> None:
        """Start every process; `on_group(pgid)` is told the group as soon as it exists."""
        main = LogSink(self.command.logs / STD_LOG, self.command.log_cap)
        self._sinks.append(main)
        with self.signals.spawning():
            self._start_all(main, on_group)

    def _start_all(self, main: LogSink, on_group: Callable[[int], object]) -> None:
        for plan in self.plans:
            sinks = [(main, b"")]
            if plan.rank is not None:
                rank_sink = LogSink(
                    self.command.logs / f"std_log_process_{plan.rank}.txt", self.command.log_cap
                )
                self._sinks.append(rank_sink)
                sinks = [(main, f"[rank {plan.rank}] ".encode()), (rank_sink, b"")]
            pid = self._spawn(plan, sinks)
            if self.pgid is None:
                self.pgid = pid
                on_group(pid)

    def _spawn(self, plan: ProcessPlan, sinks: list[tuple[LogSink, bytes]]) -> int:
        env = {**self.command.env, **plan.env} if plan.env else self.command.env
        read_fd, write_fd = os.pipe2(os.O_CLOEXEC)
        try:
            process = self._start(plan, env, write_fd)
        except OSError as error:
            os.close(read_fd)
            raise StepFailure("launch_error", f"could not start the command: {error}") from error
        finally:
            os.close(write_fd)
        self._pumps.append(Pump(read_fd, sinks, self.tail))
        return process.pid

    def _start(
        self, plan: ProcessPlan, env: dict[str, str], output: int
    ) -> subprocess.Popen[bytes]:
        """Start the process with `bash -c SCRIPT` — or its program directly where bash would
        only exec it (`shell.direct`)."""
        script = self.command.script
        found = None if plan.prefix else direct(script, env, self.command.cwd)
        if found is not None:
            try:
                return self._popen(plan, found[0], found[1], found[2], output)
            except OSError:
                pass  # not an executable file after all (bash runs a script without `#!`)
        argv = [*plan.prefix, "bash", "-c", script]
        program = shutil.which(argv[0], path=env.get("PATH", os.defpath))
        if program is None:
            raise StepFailure("launch_error", f"{argv[0]!r} is not on the step's PATH")
        return self._popen(plan, program, argv, env, output)

    def _popen(
        self,
        plan: ProcessPlan,
        program: str,
        argv: list[str],
        env: dict[str, str],
        output: int,
    ) -> subprocess.Popen[bytes]:
        since = time.monotonic()
        process = subprocess.Popen(
            argv,
            executable=program,
            env=env,
            cwd=self.command.cwd,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            # Ranks join the first process's group; the group outlives a leader that exits
            # first because the leader stays a zombie while `spawning` holds off reaping.
            process_group=0 if self.pgid is None else self.pgid,
        )
        self._running[process.pid] = (plan, process)
        self.signals.watch(process.pid, since)
        return process

    def wait(self) -> Ended:
        """Run the loop until every process of the group is gone; the logs are complete then."""
        deadline = None
        if self.command.timeout is not None:
            deadline = time.monotonic() + self.command.timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self.signals.read_fd, selectors.EVENT_READ, None)
            for pump in self._pumps:
                selector.register(pump.fd, selectors.EVENT_READ, pump)
            while self._step(deadline):
                for key, _ in selector.select(self._next_wake(deadline)):
                    if key.data is None:
                        self.signals.drain()
                    elif not key.data.read():
                        selector.unregister(key.fd)
                        self._pumps.remove(key.data)
        self._finish_logs()
        return self._ended()

    def _step(self, deadline: float | None) -> bool:
        """Act on what happened; False once the step's processes are all gone."""
        now = time.monotonic()
        if self._stop is None and self._running:
            if self.signals.cancel_requested():
                self._begin_stop("canceled", self.cancel_grace())
            elif deadline is not None and now >= deadline:
                self._begin_stop("timeout", self.command.grace)
        if self._kill_at is not None and not self._killed and now >= self._kill_at:
            self._signal_group(signal.SIGKILL)
            self._killed = True
            self._give_up_at = now + _AFTER_KILL
        self._reap()
        if self._running:
            return True
        if not self._group_alive() or (self._give_up_at is not None and now >= self._give_up_at):
            return False
        if self._kill_at is None:  # the command exited and left processes behind
            self._signal_group(signal.SIGTERM)
            self._kill_at = now + self.command.grace
        return True

    def _reap(self) -> None:
        """Take the exits of the step's processes (the orphans of its group that were handed to
        this process, its subreaper, are reaped too, so that a dead process never looks alive)."""
        for pid, status in self.signals.exited():
            started = self._running.pop(pid, None)
            if started is None:
                continue  # an orphan of the group, now reaped
            plan, process = started
            code = os.waitstatus_to_exitcode(status)
            process.returncode = code  # reaped here: the Popen must not wait for it
            if code != 0 and self._failure is None:
                self._failure = (plan, code)
                if self._running and self._stop is None:
                    self._begin_stop("failed", self.command.grace)

    def _begin_stop(self, stop: Stop, grace: float) -> None:
        self._stop = stop
        self._signal_group(signal.SIGTERM)
        self._kill_at = time.monotonic() + grace

    def _signal_group(self, signum: int) -> None:
        if self.pgid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signum)

    def _group_alive(self) -> bool:
        if self.pgid is None:
            return False
        try:
            os.killpg(self.pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def _next_wake(self, deadline: float | None) -> float | None:
        now = time.monotonic()
        times = [self._kill_at, self._give_up_at]
        if self._stop is None:
            times.append(deadline)
        wakes = [t - now for t in times if t is not None]
        if not self._running:
            wakes.append(_LEFTOVER_CHECK)
        return max(0.0, min(wakes)) if wakes else None

    def _finish_logs(self) -> None:
        """Read what the pipes still hold; a pipe kept open by a process outside the group (one
        that left it with setsid) is closed without waiting for it."""
        for pump in self._pumps:
            if pump.read():
                pump.close()
        self._pumps.clear()
        for sink in self._sinks:
            sink.close()
        self._sinks.clear()

    def abort(self) -> None:
        """Kill whatever was started (after an error in the launcher itself) and reap it."""
        if self._running:
            self._signal_group(signal.SIGKILL)
        deadline = time.monotonic() + _AFTER_KILL
        while self._running and time.monotonic() < deadline:
            self._reap()
            if self._running:
                time.sleep(0.01)
        for _, process in self._running.values():
            process.returncode = -signal.SIGKILL  # whoever reaps it later, not this Popen
        self._running.clear()
        for pump in self._pumps:
            pump.close()
        self._pumps.clear()
        for sink in self._sinks:
            sink.close()
        self._sinks.clear()

    def _ended(self) -> Ended:
        tail = tail_text(self.tail)
        if self._failure is None:
            return Ended(0, self._stop, "", tail)
        plan, code = self._failure
        status = 128 - code if code < 0 else code
        who = "the command" if plan.rank is None else f"rank {plan.rank}"
        if code < 0:
            message = f"{who} was killed by {_signal_name(-code)}"
        else:
            message = f"{who} exited with code {code}"
        return Ended(status, self._stop, message, tail)


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
