"""Workspaces: named containers for jobs, assets, computes and datastores.

The migration seeds `default`. Workspaces are never renamed or deleted, which is what lets the
other stores cache workspace ids.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cairn.errors import Conflict, NotFound, UsageError
from cairn.store.models import WorkspaceRow
from cairn.store.records import Workspace
from cairn.store.sql import convert
from cairn.store.sql.base import SqlBase, require_actor

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")


class SqlWorkspaceStore(SqlBase):
    def create(self, name: str, *, description: str | None = None, actor: str) -> Workspace:
        """Create workspace `name`; `Conflict` if it exists."""
        require_actor(actor)
        if not _NAME.match(name):
            raise UsageError(
                f"invalid workspace name {name!r}: use letters, digits, '_' and '-', "
                "starting with a letter or digit"
            )
        try:
            with self.db.write() as session:
                row = WorkspaceRow(name=name, description=description, created_at=self.db.now())
                session.add(row)
                session.flush()
                self.audit(
                    session,
                    actor=actor,
                    action="workspace.create",
                    workspace=name,
                    target_kind="workspace",
                    target_name=name,
                    detail={"description": description},
                )
                return convert.workspace(row)
        except IntegrityError as exc:
            raise Conflict(f"workspace {name} already exists") from exc

    def get(self, name: str) -> Workspace:
        with self.db.read() as session:
            row = session.scalar(select(WorkspaceRow).where(WorkspaceRow.name == name))
            if row is None:
                self.workspace_id(session, name)  # raises NotFound listing what exists
                raise NotFound(f"no workspace named {name}")
            return convert.workspace(row)

    def list(self) -> list[Workspace]:
        with self.db.read() as session:
            rows = session.scalars(select(WorkspaceRow).order_by(WorkspaceRow.name))
            return [convert.workspace(row) for row in rows]
