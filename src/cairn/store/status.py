"""Job statuses and the transitions between them.

Owns the `JobStatus` vocabulary (Azure ML's names), the table of legal transitions and the two
errors a transition can raise. It is pure: no database, no clock. Layers above the store import
`JobStatus` from here (it is the one place the names are spelled); the scheduler's own state machine
decides *when* to move, this table only says *whether* a move is allowed.
"""

from __future__ import annotations

from enum import StrEnum

from cairn.errors import Conflict


class JobStatus(StrEnum):
    """A job's status, spelled as Azure ML spells it."""

    NOT_STARTED = "NotStarted"
    QUEUED = "Queued"
    PREPARING = "Preparing"
    RUNNING = "Running"
    FINALIZING = "Finalizing"
    CANCEL_REQUESTED = "CancelRequested"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"

    @property
    def is_terminal(self) -> bool:
        """Completed, Failed and Canceled never change again."""
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED})
"""Statuses a job never leaves."""

ACTIVE_STATUSES = frozenset(
    {
        JobStatus.PREPARING,
        JobStatus.RUNNING,
        JobStatus.FINALIZING,
        JobStatus.CANCEL_REQUESTED,
    }
)
"""Statuses in which an engine is working on the job (what a restarted engine adopts)."""

_S = JobStatus
_ENDINGS = frozenset({_S.COMPLETED, _S.FAILED, _S.CANCELED})

# Queued/Preparing -> Completed is a reuse hit (decided before anything is provisioned);
# Queued -> Running is a pipeline parent, which prepares nothing itself.
LEGAL_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    _S.NOT_STARTED: frozenset({_S.QUEUED, _S.FAILED, _S.CANCELED}),
    _S.QUEUED: frozenset({_S.PREPARING, _S.RUNNING, _S.CANCEL_REQUESTED}) | _ENDINGS,
    _S.PREPARING: frozenset({_S.RUNNING, _S.CANCEL_REQUESTED}) | _ENDINGS,
    _S.RUNNING: frozenset({_S.FINALIZING, _S.CANCEL_REQUESTED}) | _ENDINGS,
    _S.FINALIZING: frozenset({_S.CANCEL_REQUESTED}) | _ENDINGS,
    _S.CANCEL_REQUESTED: _ENDINGS,
    _S.COMPLETED: frozenset(),
    _S.FAILED: frozenset(),
    _S.CANCELED: frozenset(),
}
"""For each status, the statuses a job may move to next."""


class IllegalTransition(Conflict):
    """The requested move is not in `LEGAL_TRANSITIONS` (e.g. out of a terminal status)."""


class StaleStatus(Conflict):
    """Compare-and-set failed: the job is no longer in the status the caller expected."""


def check_transition(job: str, current: JobStatus, new: JobStatus) -> None:
    """Raise `IllegalTransition` unless `current -> new` is allowed."""
    if new in LEGAL_TRANSITIONS[current]:
        return
    why = f"{current} is terminal" if current.is_terminal else _allowed_text(current)
    raise IllegalTransition(
        f"job {job} cannot go from {current} to {new} ({why})",
        details={"job": job, "from": str(current), "to": str(new)},
    )


def _allowed_text(current: JobStatus) -> str:
    allowed = sorted(LEGAL_TRANSITIONS[current])
    return f"from {current} it may go to {', '.join(allowed)}"
