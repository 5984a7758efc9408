"""Computes and datastores: named, per-workspace resource definitions.

A datastore keeps two things: a public `spec` (account, container, path…) that may be shown
anywhere, and `secret_blob`, ciphertext produced and opened only by the data layer. This module
stores the blob as opaque bytes and never logs it, not even into the audit detail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cairn.errors import Conflict, NotFound, UsageError
from cairn.store.models import ComputeRow, DatastoreRow
from cairn.store.records import Compute, Datastore
from cairn.store.sql import convert
from cairn.store.sql.asset_refs import check_name
from cairn.store.sql.base import SqlBase, require_actor, similar


class SqlComputeStore(SqlBase):
    def create(
        self,
        workspace: str,
        name: str,
        type: str,
        *,
        max_instances: int = 1,
        spec: Mapping[str, Any] | None = None,
        actor: str,
    ) -> Compute:
        require_actor(actor)
        check_name(name, what="compute name")
        _check_instances(max_instances)
        try:
            with self.db.write() as session:
                row = ComputeRow(
                    workspace_id=self.workspace_id(session, workspace),
                    name=name,
                    type=type,
                    max_instances=max_instances,
                    spec=dict(spec or {}),
                    created_at=self.db.now(),
                    created_by=actor,
                )
                session.add(row)
                session.flush()
                self._audit(session, workspace, actor, "compute.create", name, {"type": type})
                return convert.compute(row, workspace)
        except IntegrityError as exc:
            raise Conflict(f"compute {name} already exists in workspace {workspace}") from exc

    def get(self, workspace: str, name: str) -> Compute:
        with self.db.read() as session:
            return convert.compute(self._row(session, workspace, name), workspace)

    def list(self, workspace: str) -> list[Compute]:
        with self.db.read() as session:
            ws = self.workspace_id(session, workspace)
            query = select(ComputeRow).where(ComputeRow.workspace_id == ws)
            return [convert.compute(r, workspace) for r in session.scalars(query.order_by("name"))]

    def update(
        self,
        workspace: str,
        name: str,
        *,
        max_instances: int | None = None,
        spec: Mapping[str, Any] | None = None,
        actor: str,
    ) -> Compute:
        """Replace `max_instances` and/or the whole `spec`."""
        require_actor(actor)
        with self.db.write() as session:
            row = self._row(session, workspace, name)
            if max_instances is not None:
                _check_instances(max_instances)
                row.max_instances = max_instances
            if spec is not None:
                row.spec = dict(spec)
            detail = {"max_instances": max_instances, "spec": spec is not None}
            self._audit(session, workspace, actor, "compute.update", name, detail)
            return convert.compute(row, workspace)

    def delete(self, workspace: str, name: str, *, actor: str) -> None:
        require_actor(actor)
        with self.db.write() as session:
            session.delete(self._row(session, workspace, name))
            self._audit(session, workspace, actor, "compute.delete", name, {})

    def _row(self, session: Session, workspace: str, name: str) -> ComputeRow:
        ws = self.workspace_id(session, workspace)
        row = session.scalar(
            select(ComputeRow).where(ComputeRow.workspace_id == ws, ComputeRow.name == name)
        )
        if row is None:
            names = list(
                session.scalars(select(ComputeRow.name).where(ComputeRow.workspace_id == ws))
            )
            raise _not_found("compute", name, names)
        return row

    def _audit(
        self,
        session: Session,
        workspace: str,
        actor: str,
        action: str,
        name: str,
        detail: Mapping[str, Any],
    ) -> None:
        self.audit(
            session,
            actor=actor,
            action=action,
            workspace=workspace,
            target_kind="compute",
            target_name=name,
            detail=detail,
        )


class SqlDatastoreStore(SqlBase):
    def create(
        self,
        workspace: str,
        name: str,
        type: str,
        *,
        spec: Mapping[str, Any] | None = None,
        secret_blob: bytes | None = None,
        is_default: bool = False,
        actor: str,
    ) -> Datastore:
        require_actor(actor)
        check_name(name, what="datastore name")
        try:
            with self.db.write() as session:
                ws = self.workspace_id(session, workspace)
                if is_default:
                    _clear_default(session, ws)
                row = DatastoreRow(
                    workspace_id=ws,
                    name=name,
                    type=type,
                    spec=dict(spec or {}),
                    secret_blob=secret_blob,
                    is_default=is_default,
                    created_at=self.db.now(),
                    created_by=actor,
                )
                session.add(row)
                session.flush()
                detail = {
                    "type": type,
                    "is_default": is_default,
                    "secrets": secret_blob is not None,
                }
                self._audit(session, workspace, actor, "datastore.create", name, detail)
                return convert.datastore(row, workspace)
        except IntegrityError as exc:
            raise Conflict(f"datastore {name} already exists in workspace {workspace}") from exc

    def get(self, workspace: str, name: str) -> Datastore:
        with self.db.read() as session:
            return convert.datastore(self._row(session, workspace, name), workspace)

    def get_default(self, workspace: str) -> Datastore:
        with self.db.read() as session:
            ws = self.workspace_id(session, workspace)
            query = select(DatastoreRow).where(
                DatastoreRow.workspace_id == ws, DatastoreRow.is_default.is_(True)
            )
            row = session.scalar(query)
            if row is None:
                raise NotFound(f"workspace {workspace} has no default datastore")
            return convert.datastore(row, workspace)

    def list(self, workspace: str) -> list[Datastore]:
        with self.db.read() as session:
            ws = self.workspace_id(session, workspace)
            query = select(DatastoreRow).where(DatastoreRow.workspace_id == ws).order_by("name")
            return [convert.datastore(row, workspace) for row in session.scalars(query)]

    def update(
        self,
        workspace: str,
        name: str,
        *,
        spec: Mapping[str, Any] | None = None,
        secret_blob: bytes | None = None,
        clear_secret: bool = False,
        actor: str,
    ) -> Datastore:
        """Replace the public spec and/or the secret blob (`clear_secret` drops the blob)."""
        require_actor(actor)
        if clear_secret and secret_blob is not None:
            raise UsageError("pass either secret_blob or clear_secret, not both")
        with self.db.write() as session:
            row = self._row(session, workspace, name)
            if spec is not None:
                row.spec = dict(spec)
            if secret_blob is not None or clear_secret:
                row.secret_blob = secret_blob
            detail = {"spec": spec is not None, "secrets": secret_blob is not None or clear_secret}
            self._audit(session, workspace, actor, "datastore.update", name, detail)
            return convert.datastore(row, workspace)

    def set_default(self, workspace: str, name: str, *, actor: str) -> Datastore:
        require_actor(actor)
        with self.db.write() as session:
            row = self._row(session, workspace, name)
            _clear_default(session, row.workspace_id)
            row.is_default = True
            self._audit(session, workspace, actor, "datastore.set_default", name, {})
            return convert.datastore(row, workspace)

    def delete(self, workspace: str, name: str, *, actor: str) -> None:
        require_actor(actor)
        with self.db.write() as session:
            session.delete(self._row(session, workspace, name))
            self._audit(session, workspace, actor, "datastore.delete", name, {})

    def _row(self, session: Session, workspace: str, name: str) -> DatastoreRow:
        ws = self.workspace_id(session, workspace)
        row = session.scalar(
            select(DatastoreRow).where(DatastoreRow.workspace_id == ws, DatastoreRow.name == name)
        )
        if row is None:
            query = select(DatastoreRow.name).where(DatastoreRow.workspace_id == ws)
            raise _not_found("datastore", name, list(session.scalars(query)))
        return row

    def _audit(
        self,
        session: Session,
        workspace: str,
        actor: str,
        action: str,
        name: str,
        detail: Mapping[str, Any],
    ) -> None:
        self.audit(
            session,
            actor=actor,
            action=action,
            workspace=workspace,
            target_kind="datastore",
            target_name=name,
            detail=detail,
        )


def _clear_default(session: Session, workspace_id: int) -> None:
    session.execute(
        update(DatastoreRow)
        .where(DatastoreRow.workspace_id == workspace_id, DatastoreRow.is_default.is_(True))
        .values(is_default=False)
    )


def _check_instances(max_instances: int) -> None:
    if max_instances < 1:
        raise UsageError(f"max_instances must be at least 1, not {max_instances}")


def _not_found(kind: str, name: str, names: list[str]) -> NotFound:
    close = similar(name, names)
    message = f"no {kind} named {name}"
    if close:
        message += f"; similar names: {', '.join(close)}"
    return NotFound(message, details={"kind": kind, "name": name, "similar": close})
