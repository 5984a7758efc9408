"""Turning what a launcher reported into store moves: the step's statuses at the times the
launcher saw them, and what the job record keeps of the outcome (the step's, and the parent's
root-failure view)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cairn.store.records import Move
from cairn.store.status import JobStatus

if TYPE_CHECKING:
    from cairn.launcher.protocol import StepRecord
    from cairn.store.records import Job

S = JobStatus
_ORDER = (S.PREPARING, S.RUNNING, S.FINALIZING)
_PHASE = {S.PREPARING: "preparing", S.RUNNING: "running", S.FINALIZING: "finalizing"}


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def moves_to_running(job_id: int, current: JobStatus, epoch: float) -> list[Move]:
    """Preparing → Running when the launcher says the command started."""
    if current is S.PREPARING:
        return [Move(job_id, S.RUNNING, at=at(epoch))]
    return []


def moves_to_end(job_id: int, current: JobStatus, record: StepRecord) -> list[Move]:
    """From `current` through every phase the launcher reached, to the record's outcome."""
    moves: list[Move] = []
    if current is not S.CANCEL_REQUESTED:
        reached = False
        for status in _ORDER:
            if status is current:
                reached = True
                continue
            phase = _PHASE[status]
            if reached and phase in record.times:
                moves.append(Move(job_id, status, at=at(record.times[phase])))
    ended = record.times.get("ended")
    moves.append(
        Move(
            job_id,
            S(record.status),
            at=at(ended) if ended else None,
            reason=record.reason,
            detail={"message": record.message, "exit_code": record.exit_code}
            if record.message or record.exit_code
            else None,
        )
    )
    return moves


def outcome_properties(record: StepRecord) -> dict[str, Any]:
    """What the step's job keeps: committed outputs (for consumers and reuse) and the outcome."""
    return {
        "outputs": {
            o.name: {
                "uri": o.uri,
                "path": o.path,
                "hash": o.content_hash,
                "size": o.size,
                "files": o.files,
                **({"manifest": o.manifest} if o.manifest is not None else {}),
            }
            for o in record.outputs
        },
        "environment_lock": record.environment,
        "exit_code": record.exit_code,
        "reason": record.reason,
        "message": record.message or None,
        "log_tail": record.log_tail[-50:] or None,
        "artifacts": record.artifacts,
    }


def root_failure_detail(step_id: str, root: Job) -> dict[str, Any]:
    """What a failed job records of the step that failed first: the root-failure view."""
    return {
        "root_failure": step_id,
        "root_failure_job": root.name,
        "reason": root.properties.get("reason"),
        "message": root.properties.get("message"),
        "log_tail": root.properties.get("log_tail"),
    }
