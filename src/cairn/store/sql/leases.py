"""Engine leases on jobs: claim, renew, release and adopt.

The store is the queue. An engine claims `Queued` jobs by writing its owner id and an expiry on
them, renews the expiry by heartbeat, and a restarted engine adopts in-flight jobs whose lease ran
out. On PostgreSQL the candidates are selected `FOR UPDATE SKIP LOCKED`, so concurrent claimers
skip each other's rows instead of waiting; on SQLite the whole write transaction runs under
`BEGIN IMMEDIATE`, so claimers take turns. Either way no two owners ever hold the same job.

Renewals are not written to the audit log: a heartbeat every few seconds would drown the actions
an auditor cares about; claims, releases and adoptions are.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from cairn.errors import UsageError
from cairn.store.models import JobRow
from cairn.store.status import ACTIVE_STATUSES, JobStatus

if TYPE_CHECKING:
    from cairn.store.sql.base import SqlBase


def _check(owner: str, lease_seconds: float | None = None) -> None:
    if not owner.strip():
        raise UsageError("a lease needs a non-empty owner id")
    if lease_seconds is not None and lease_seconds <= 0:
        raise UsageError("a lease must last a positive number of seconds")


def _lockable(query: Select[JobRow]) -> Select[JobRow]:
    return query.with_for_update(skip_locked=True)


def claim_queued(
    base: SqlBase,
    session: Session,
    owner: str,
    lease_seconds: float,
    limit: int,
    top_level_only: bool,
    workspace_id: int | None = None,
) -> list[JobRow]:
    """Lease up to `limit` queued, unleased (or lease-expired) jobs to `owner`, oldest first."""
    _check(owner, lease_seconds)
    now = base.db.now()
    query = select(JobRow).where(
        JobRow.status == JobStatus.QUEUED,
        or_(JobRow.lease_owner.is_(None), JobRow.lease_expires_at < now),
    )
    if workspace_id is not None:
        query = query.where(JobRow.workspace_id == workspace_id)
    if top_level_only:
        query = query.where(JobRow.parent_id.is_(None))
    rows = list(session.scalars(_lockable(query.order_by(JobRow.id).limit(limit))))
    for row in rows:
        _grant(row, owner, now, lease_seconds)
        base.audit(
            session,
            actor=owner,
            action="job.claim",
            workspace=row.workspace_id,
            target_kind="job",
            target_name=row.name,
            detail={"job_id": row.id, "lease_seconds": lease_seconds},
        )
    return rows


def renew(
    base: SqlBase, session: Session, owner: str, job_ids: Collection[int], lease_seconds: float
) -> list[int]:
    """Extend `owner`'s leases on `job_ids`; returns the ids it still holds (others were lost)."""
    _check(owner, lease_seconds)
    if not job_ids:
        return []
    now = base.db.now()
    query = select(JobRow).where(JobRow.id.in_(list(job_ids)), JobRow.lease_owner == owner)
    rows = list(session.scalars(query.with_for_update().order_by(JobRow.id)))
    for row in rows:
        _grant(row, owner, now, lease_seconds)
    return [row.id for row in rows]


def release(base: SqlBase, session: Session, owner: str, job_ids: Collection[int]) -> list[int]:
    """Give up `owner`'s leases on `job_ids`; returns the ids that were released."""
    _check(owner)
    if not job_ids:
        return []
    query = select(JobRow).where(JobRow.id.in_(list(job_ids)), JobRow.lease_owner == owner)
    rows = list(session.scalars(query.with_for_update().order_by(JobRow.id)))
    for row in rows:
        row.lease_owner = None
        row.lease_expires_at = None
        base.audit(
            session,
            actor=owner,
            action="job.release",
            workspace=row.workspace_id,
            target_kind="job",
            target_name=row.name,
            detail={"job_id": row.id},
        )
    return [row.id for row in rows]


def adopt_expired(
    base: SqlBase,
    session: Session,
    owner: str,
    lease_seconds: float,
    limit: int,
    top_level_only: bool,
    workspace_id: int | None = None,
    owners_gone: Collection[str] = (),
) -> list[JobRow]:
    """Take over in-flight jobs (Preparing … CancelRequested) whose owner let the lease expire,
    or whose owner the caller knows is gone (a dead process on this host)."""
    _check(owner, lease_seconds)
    now = base.db.now()
    lapsed = JobRow.lease_expires_at < now
    query = select(JobRow).where(
        JobRow.status.in_(sorted(ACTIVE_STATUSES)),
        JobRow.lease_owner.is_not(None),
        or_(lapsed, JobRow.lease_owner.in_(list(owners_gone))) if owners_gone else lapsed,
    )
    if workspace_id is not None:
        query = query.where(JobRow.workspace_id == workspace_id)
    if top_level_only:
        query = query.where(JobRow.parent_id.is_(None))
    rows = list(session.scalars(_lockable(query.order_by(JobRow.id).limit(limit))))
    for row in rows:
        previous = row.lease_owner
        _grant(row, owner, now, lease_seconds)
        base.audit(
            session,
            actor=owner,
            action="job.adopt",
            workspace=row.workspace_id,
            target_kind="job",
            target_name=row.name,
            detail={"job_id": row.id, "previous_owner": previous, "status": row.status},
        )
    return rows


def _grant(row: JobRow, owner: str, now: datetime, lease_seconds: float) -> None:
    row.lease_owner = owner
    row.lease_expires_at = now + timedelta(seconds=lease_seconds)
    row.heartbeat_at = now


def lease_owners(session: Session, workspace_id: int | None) -> list[str]:
    """The owners currently holding leases on jobs that are not finished."""
    query = select(JobRow.lease_owner).where(JobRow.lease_owner.is_not(None)).distinct()
    if workspace_id is not None:
        query = query.where(JobRow.workspace_id == workspace_id)
    return sorted(o for o in session.scalars(query) if o)
