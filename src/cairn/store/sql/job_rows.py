"""Fetching job rows and turning them into `Job` records (shared by the job modules)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from cairn.errors import NotFound
from cairn.store.models import JobRow, JobTagRow
from cairn.store.records import Job
from cairn.store.sql import convert
from cairn.store.sql.base import SqlBase


def load_jobs(base: SqlBase, session: Session, rows: Sequence[JobRow]) -> list[Job]:
    """Turn rows into records, fetching all their tags in one query."""
    tags: dict[int, dict[str, str]] = {row.id: {} for row in rows}
    if rows:
        for tag in session.scalars(select(JobTagRow).where(JobTagRow.job_id.in_(list(tags)))):
            tags[tag.job_id][tag.key] = tag.value
    return [
        convert.job(row, base.workspace_name(session, row.workspace_id), tags[row.id])
        for row in rows
    ]


def job_row(session: Session, job_id: int, *, lock: bool = False) -> JobRow:
    """The row of job `job_id` (locked `FOR UPDATE` on PostgreSQL when `lock`)."""
    query = select(JobRow).where(JobRow.id == job_id)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound(f"no job with id {job_id}", details={"job_id": job_id})
    return row
