"""What every SQL store shares: the database handle, workspace lookups and the audit writer.

The audit row for a mutation is added to the same session (hence the same transaction) as the
mutation itself, so the log never claims something that was rolled back and never misses
something that was committed.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cairn.errors import NotFound, UsageError
from cairn.store.db import Database
from cairn.store.models import AuditRow, WorkspaceRow

AUDIT = cast("Table", AuditRow.__table__)


class SqlBase:
    """Base of the SQL stores: holds the database and caches workspace ids by name."""

    def __init__(self, db: Database, workspace_ids: dict[str, int] | None = None) -> None:
        self.db = db
        # Shared between the stores of one `Store`; workspaces are never renamed or deleted.
        self._workspace_ids = workspace_ids if workspace_ids is not None else {}

    def workspace_id(self, session: Session, name: str) -> int:
        """The id of workspace `name`, or `NotFound` naming the workspaces that do exist."""
        cached = self._workspace_ids.get(name)
        if cached is not None:
            return cached
        found = session.scalar(select(WorkspaceRow.id).where(WorkspaceRow.name == name))
        if found is None:
            existing = list(session.scalars(select(WorkspaceRow.name).order_by(WorkspaceRow.name)))
            raise NotFound(
                f"no workspace named {name}; workspaces: {', '.join(existing) or 'none'}",
                details={"workspace": name, "existing": existing},
            )
        self._workspace_ids[name] = found
        return found

    def workspace_name(self, session: Session, workspace_id: int) -> str:
        for name, known in self._workspace_ids.items():
            if known == workspace_id:
                return name
        found = session.scalar(select(WorkspaceRow.name).where(WorkspaceRow.id == workspace_id))
        if found is None:
            raise NotFound(f"no workspace with id {workspace_id}")
        self._workspace_ids[found] = workspace_id
        return found

    def audit(
        self,
        session: Session,
        *,
        actor: str,
        action: str,
        workspace: str | int | None,
        target_kind: str,
        target_name: str,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Record one mutation in the audit log, inside the caller's transaction.

        `workspace` is a name or an id (`None` only for actions outside any workspace).
        """
        if isinstance(workspace, int):
            workspace = self.workspace_name(session, workspace)
        # A Core INSERT: an ORM object would cost a unit-of-work flush on every engine batch.
        session.execute(
            insert(AUDIT),
            [
                {
                    "at": self.db.now(),
                    "actor": actor,
                    "workspace": workspace,
                    "action": action,
                    "target_kind": target_kind,
                    "target_name": target_name,
                    "detail": dict(detail or {}),
                }
            ],
        )


def insert_row(session: Session, row: object) -> IntegrityError | None:
    """Insert `row` in a savepoint: None, or the error of the constraint that refused it (the
    transaction goes on without the row, so the caller may retry with another name)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as error:
        return error
    return None


def require_actor(actor: str) -> str:
    """Every mutation names who made it; an empty actor is a caller bug."""
    if not actor.strip():
        raise UsageError("every change to the store must name its actor")
    return actor


def similar(name: str, candidates: list[str]) -> list[str]:
    """Names close to `name`, best first, for "did you mean" messages."""
    return difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)


def merge(current: Mapping[str, Any], changes: Mapping[str, Any | None]) -> dict[str, Any]:
    """Apply a patch where a `None` value deletes the key."""
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
