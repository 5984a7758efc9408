"""Listing jobs with filters and keyset pagination, newest first.

Pages are keyed on the job id (ids grow with creation time), so fetching page 2,000 costs the
same as page 1: `WHERE id < :cursor ORDER BY id DESC LIMIT n` walks one of the composite indexes
declared on `jobs` (workspace + archived + parent, workspace + status, workspace + experiment,
parent). Offsets are never used. The cursor is opaque to callers.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from cairn.errors import UsageError
from cairn.store.models import JobRow, JobTagRow
from cairn.store.status import JobStatus

MAX_PAGE = 1000
_CURSOR_PREFIX = "j"


@dataclass(frozen=True, slots=True)
class JobFilters:
    status: JobStatus | Collection[JobStatus] | None = None
    experiment_name: str | None = None
    tags: Mapping[str, str | None] | None = None
    parent_id: int | None = None
    include_children: bool = False
    archived: bool | None = False
    text: str | None = None
    """A case-insensitive substring of the name, display name or experiment."""


def page(
    session: Session, workspace_id: int, filters: JobFilters, *, limit: int, cursor: str | None
) -> tuple[list[JobRow], str | None]:
    """One page of rows and the cursor of the next page (`None` on the last page)."""
    if not 1 <= limit <= MAX_PAGE:
        raise UsageError(f"page size must be between 1 and {MAX_PAGE}, not {limit}")
    sqlite = session.get_bind().dialect.name == "sqlite"
    query = _filtered(select(JobRow).where(JobRow.workspace_id == workspace_id), filters, sqlite)
    if cursor is not None:
        query = query.where(JobRow.id < decode_cursor(cursor))
    rows = list(session.scalars(query.order_by(JobRow.id.desc()).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].id)


_SEARCHED = (JobRow.name, JobRow.display_name, JobRow.experiment_name)


def _contains(column: Any, text: str, sqlite: bool) -> Any:
    """Case-insensitive substring match; SQLite's LIKE already ignores ASCII case, and is much
    faster than comparing `lower()` of every row."""
    if sqlite:
        return column.contains(text, autoescape=True)
    return column.icontains(text, autoescape=True)


def _filtered(query: Select[JobRow], filters: JobFilters, sqlite: bool) -> Select[JobRow]:
    if filters.parent_id is not None:
        query = query.where(JobRow.parent_id == filters.parent_id)
    elif not filters.include_children:
        query = query.where(JobRow.parent_id.is_(None))
    if filters.archived is not None:
        query = query.where(JobRow.archived == filters.archived)
    if filters.status is not None:
        statuses = [filters.status] if isinstance(filters.status, str) else filters.status
        query = query.where(JobRow.status.in_(sorted(JobStatus(s) for s in statuses)))
    if filters.experiment_name is not None:
        query = query.where(JobRow.experiment_name == filters.experiment_name)
    if filters.text:
        query = query.where(or_(*(_contains(c, filters.text, sqlite) for c in _SEARCHED)))
    for key, value in (filters.tags or {}).items():
        match = exists().where(JobTagRow.job_id == JobRow.id, JobTagRow.key == key)
        if value is not None:
            match = match.where(JobTagRow.value == value)
        query = query.where(match)
    return query


def encode_cursor(last_id: int) -> str:
    return f"{_CURSOR_PREFIX}{last_id}"


def decode_cursor(cursor: str) -> int:
    body = cursor.removeprefix(_CURSOR_PREFIX)
    if not cursor.startswith(_CURSOR_PREFIX) or not body.isdigit():
        raise UsageError(f"invalid page cursor {cursor!r}; pass back a next_cursor unchanged")
    return int(body)
