"""Reading the audit log. Writing happens in `SqlBase.audit`, inside each mutation's transaction."""

from __future__ import annotations

from sqlalchemy import select

from cairn.errors import UsageError
from cairn.store.models import AuditRow
from cairn.store.records import AuditEntry, Page
from cairn.store.sql import convert
from cairn.store.sql.base import SqlBase
from cairn.store.sql.job_list import MAX_PAGE, decode_cursor, encode_cursor


class SqlAuditStore(SqlBase):
    def list(
        self,
        *,
        workspace: str | None = None,
        target_kind: str | None = None,
        target_name: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[AuditEntry]:
        """Audit entries, newest first, filtered by any of the given fields."""
        if not 1 <= limit <= MAX_PAGE:
            raise UsageError(f"page size must be between 1 and {MAX_PAGE}, not {limit}")
        query = select(AuditRow)
        for column, value in (
            (AuditRow.workspace, workspace),
            (AuditRow.target_kind, target_kind),
            (AuditRow.target_name, target_name),
            (AuditRow.actor, actor),
            (AuditRow.action, action),
        ):
            if value is not None:
                query = query.where(column == value)
        if cursor is not None:
            query = query.where(AuditRow.id < decode_cursor(cursor))
        with self.db.read() as session:
            rows = list(session.scalars(query.order_by(AuditRow.id.desc()).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].id) if more else None
        return Page(tuple(convert.audit_entry(row) for row in rows), next_cursor)
