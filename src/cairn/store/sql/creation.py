"""The rows a job's creation inserts: the job, its tags, its first event, its audit row.

Owns generated names (per-workspace unique: a clash with a generated name is retried, a clash with
a given one is a `Conflict`) and the bulk insert of a pipeline's steps — one executemany each for
the jobs, their events and their tags, since an ORM object per row costs a statement each. The
transaction is the caller's (`SqlJobStore`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError

from cairn.errors import Conflict, UsageError
from cairn.store.models import JobEventRow, JobRow, JobTagRow
from cairn.store.sql.base import insert_row
from cairn.store.status import JobStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from cairn.store.names import NameGenerator
    from cairn.store.records import NewJob
    from cairn.store.sql.base import SqlBase

MAX_NAME_ATTEMPTS = 8
INITIAL = (JobStatus.NOT_STARTED, JobStatus.QUEUED)
JOBS = cast("Table", JobRow.__table__)
EVENTS = cast("Table", JobEventRow.__table__)
TAGS = cast("Table", JobTagRow.__table__)


def insert_children(
    base: SqlBase,
    session: Session,
    parent: JobRow,
    children: Sequence[NewJob],
    actor: str,
    names: NameGenerator,
) -> list[int]:
    """The children's ids, in order. Named children (the usual case) go in as Core bulk
    statements: an ORM object per row and per event costs a statement each."""
    if any(child.name is None for child in children):
        rows = [
            insert_job(base, session, parent.workspace_id, parent.id, child, actor, names)
            for child in children
        ]
        return [row.id for row in rows]
    if not children:
        return []
    now = base.db.now()
    values = [
        row_values(parent.workspace_id, parent.id, str(c.name), c, actor, now) for c in children
    ]
    try:
        with session.begin_nested():
            session.execute(insert(JOBS), values)  # one executemany, no RETURNING per row
    except IntegrityError:
        taken = [
            str(v["name"])
            for v in values
            if name_taken(session, parent.workspace_id, str(v["name"]))
        ]
        raise Conflict(
            f"job names already exist in this workspace: {', '.join(taken[:5])}",
            details={"names": taken},
        ) from None
    found = session.execute(
        select(JOBS.c.name, JOBS.c.id).where(JOBS.c.parent_id == parent.id)
    ).all()
    by_name: dict[str, int] = dict(found)
    ids = [by_name[str(v["name"])] for v in values]
    tags = [
        {"job_id": job_id, "key": k, "value": v}
        for job_id, child in zip(ids, children, strict=True)
        for k, v in child.tags.items()
    ]
    if tags:
        session.execute(insert(TAGS), tags)
    session.execute(
        insert(EVENTS),
        [
            {"job_id": job_id, "status": child.status, "at": now, "reason": "created"}
            for job_id, child in zip(ids, children, strict=True)
        ],
    )
    base.audit(
        session,
        actor=actor,
        action="job.create_children",
        workspace=parent.workspace_id,
        target_kind="job",
        target_name=parent.name,
        detail={"parent_id": parent.id, "count": len(ids)},
    )
    return ids


def insert_job(
    base: SqlBase,
    session: Session,
    workspace_id: int,
    parent_id: int | None,
    job: NewJob,
    actor: str,
    names: NameGenerator,
) -> JobRow:
    """One job's row, its tags, its first event and its audit row."""
    if job.status not in INITIAL:
        raise UsageError(f"a job starts NotStarted or Queued, not {job.status}")
    now = base.db.now()
    row = _insert_named(session, workspace_id, parent_id, job, actor, now, names)
    session.add_all(JobTagRow(job_id=row.id, key=k, value=v) for k, v in job.tags.items())
    session.add(JobEventRow(job_id=row.id, status=job.status, at=now, reason="created"))
    base.audit(
        session,
        actor=actor,
        action="job.create",
        workspace=workspace_id,
        target_kind="job",
        target_name=row.name,
        detail={"job_id": row.id, "parent_id": parent_id, "status": str(job.status)},
    )
    return row


def _insert_named(
    session: Session,
    workspace_id: int,
    parent_id: int | None,
    job: NewJob,
    actor: str,
    now: datetime,
    names: NameGenerator,
) -> JobRow:
    for _ in range(MAX_NAME_ATTEMPTS):
        name = job.name or names()
        row = JobRow(**row_values(workspace_id, parent_id, name, job, actor, now))
        error = insert_row(session, row)
        if error is None:
            return row
        if not name_taken(session, workspace_id, name):
            raise error
        if job.name is not None:
            raise Conflict(
                f"a job named {name} already exists in this workspace",
                details={"name": name},
            ) from None
    raise Conflict(f"no free job name after {MAX_NAME_ATTEMPTS} attempts")


def check_children(children: Sequence[NewJob]) -> None:
    for child in children:
        if not child.node_name:
            raise UsageError("a child job needs the node_name of its pipeline node")
        if child.status not in INITIAL:
            raise UsageError(f"a job starts NotStarted or Queued, not {child.status}")


def row_values(
    workspace_id: int,
    parent_id: int | None,
    name: str,
    job: NewJob,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "name": name,
        "parent_id": parent_id,
        "node_name": job.node_name,
        "node_path": job.node_path or job.node_name,
        "type": job.type,
        "status": job.status,
        "status_at": now,
        "display_name": job.display_name or name,
        "experiment_name": job.experiment_name,
        "description": job.description,
        "properties": dict(job.properties),
        "compute": job.compute,
        "created_by": actor,
        "created_at": now,
        "source": dict(job.source),
        "plan": None if job.plan is None else dict(job.plan),
        "reuse_key": job.reuse_key,
        "reuse_key_parts": None if job.reuse_key_parts is None else dict(job.reuse_key_parts),
        "archived": False,
    }


def name_taken(session: Session, workspace_id: int, name: str) -> bool:
    query = select(JobRow.id).where(JobRow.workspace_id == workspace_id, JobRow.name == name)
    return session.scalar(query) is not None
