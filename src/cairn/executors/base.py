"""The executor protocol: `launch / poll / cancel / logs`, plus a queue of progress events.

An executor only decides where `LaunchSpec`s run; what a step does is the launcher's job. The
engine never waits on an executor: `launch` returns once the step is handed over, progress comes
back as `ExecutorEvent`s (best effort, for low latency), and `poll` is the source of truth —
it reads the step's record, or says whether its launcher is still alive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    import queue
    from pathlib import Path

    from cairn.launcher.protocol import LaunchSpec, StepRecord


@dataclass(frozen=True)
class ExecutorEvent:
    """A step's launcher said something: it started preparing, started running, or ended."""

    workdir: str
    event: Literal["preparing", "running", "finalizing", "ended", "wake"]
    """`wake` is never sent by a launcher: the engine posts it to interrupt its own wait."""
    at: float


@dataclass(frozen=True)
class Alive:
    """The step's launcher is still working."""


@dataclass(frozen=True)
class Gone:
    """Neither a record nor a live launcher: the step was lost (or never started)."""


class Executor(Protocol):
    name: str

    def launch(self, spec: LaunchSpec) -> None:
        """Start the launcher for `spec` (already written to `spec.workdir`); returns at once."""
        ...

    def poll(self, workdir: Path) -> StepRecord | Alive | Gone:
        """The step's record if it ended, else whether its launcher is alive."""
        ...

    def cancel(self, workdir: Path, grace: float) -> None:
        """Stop the step: TERM to its process group, KILL after `grace` seconds."""
        ...

    def logs(self, workdir: Path) -> Path:
        """The step's main log file (it may not exist yet)."""
        ...

    @property
    def events(self) -> queue.SimpleQueue[ExecutorEvent]:
        """Progress reported by launchers, in arrival order."""
        ...

    def close(self) -> None:
        """Stop the executor's own helpers; running steps keep running."""
        ...
