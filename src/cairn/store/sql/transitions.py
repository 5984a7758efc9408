"""Status transitions and reuse bookkeeping, each one atomic.

A transition is a compare-and-set on the job's current status: the row is read under the write
lock (`FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite), checked against the caller's
`expected_from` and against `LEGAL_TRANSITIONS`, updated, and its event row and audit row are
added in the same transaction. Event times never go backwards for one job, even if clocks of two
servers disagree, so phase durations are never negative.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from cairn.errors import Conflict
from cairn.store.models import JobEventRow, JobRow
from cairn.store.sql.job_rows import job_row
from cairn.store.status import JobStatus, StaleStatus, check_transition

if TYPE_CHECKING:
    from cairn.store.sql.base import SqlBase


def transition(
    base: SqlBase,
    session: Session,
    job_id: int,
    new_status: JobStatus,
    reason: str | None,
    detail: Mapping[str, Any] | None,
    expected_from: JobStatus | Collection[JobStatus] | None,
    actor: str,
    *,
    at: datetime | None = None,
    audit: bool = True,
) -> JobRow:
    """Move `job_id` to `new_status`; raises `StaleStatus` or `IllegalTransition`.

    `at` is when the move really happened (it is never earlier than the previous move)."""
    row = job_row(session, job_id, lock=True)
    current = JobStatus(row.status)
    new_status = JobStatus(new_status)
    if expected_from is not None:
        expected = _as_set(expected_from)
        if current not in expected:
            raise StaleStatus(
                f"job {row.name} is {current}, expected {' or '.join(sorted(expected))}",
                details={"job": row.name, "status": str(current), "expected": sorted(expected)},
            )
    check_transition(row.name, current, new_status)
    now = max(at or base.db.now(), row.status_at)
    row.status = new_status
    row.status_at = now
    if new_status.is_terminal:
        row.lease_owner = None
        row.lease_expires_at = None
    session.add(
        JobEventRow(
            job_id=row.id,
            status=new_status,
            at=now,
            reason=reason,
            detail=None if detail is None else dict(detail),
        )
    )
    if not audit:
        return row
    base.audit(
        session,
        actor=actor,
        action="job.transition",
        workspace=row.workspace_id,
        target_kind="job",
        target_name=row.name,
        detail={"job_id": row.id, "from": str(current), "to": str(new_status), "reason": reason},
    )
    return row


def _as_set(expected: JobStatus | Collection[JobStatus]) -> set[JobStatus]:
    if isinstance(expected, str):
        return {JobStatus(expected)}
    return {JobStatus(status) for status in expected}


def record_reuse_key(
    base: SqlBase,
    session: Session,
    job_id: int,
    reuse_key: str,
    parts: Mapping[str, Any],
    actor: str,
) -> JobRow:
    """Store the reuse key a step was (or will be) run under, with the parts it hashes."""
    row = job_row(session, job_id, lock=True)
    row.reuse_key = reuse_key
    row.reuse_key_parts = dict(parts)
    base.audit(
        session,
        actor=actor,
        action="job.reuse_key",
        workspace=row.workspace_id,
        target_kind="job",
        target_name=row.name,
        detail={"job_id": job_id, "reuse_key": reuse_key},
    )
    return row


def find_reusable(session: Session, workspace_id: int, reuse_key: str) -> JobRow | None:
    """The newest completed, unarchived job run under `reuse_key` that was itself not reused."""
    query = (
        select(JobRow)
        .where(
            JobRow.workspace_id == workspace_id,
            JobRow.reuse_key == reuse_key,
            JobRow.status == JobStatus.COMPLETED,
            JobRow.archived == false(),  # "= false" is indexable, "IS false" is not
            JobRow.reused_from_id.is_(None),
        )
        .order_by(JobRow.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def mark_reused(
    base: SqlBase,
    session: Session,
    job_id: int,
    reused_from_id: int,
    reason: str | None,
    actor: str,
) -> JobRow:
    """Complete `job_id` as a reuse of `reused_from_id` (link and status in one transaction)."""
    source = job_row(session, reused_from_id)
    if source.status != JobStatus.COMPLETED:
        raise Conflict(f"job {source.name} is {source.status}; only a completed job can be reused")
    row = job_row(session, job_id, lock=True)
    row.reused_from_id = source.id
    detail = {"reused_from": source.name, "reused_from_id": source.id}
    return transition(
        base, session, job_id, JobStatus.COMPLETED, reason or "reused", detail, None, actor
    )
