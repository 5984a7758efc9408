"""Versioned assets (components, data, environments, models), their labels and lineage.

Owns registration with version auto-increment, resolution of references, labels, archiving and
the lineage links: which job produced an asset version (`produced_by_job_id`) and which jobs
consumed it (`asset_uses`). Auto-increment reads the highest integer version inside the write
transaction; on PostgreSQL two concurrent registrations can still pick the same number, so the
insert runs in a savepoint and is retried with the next number.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import ColumnElement, Select, false, func, select
from sqlalchemy.orm import Session

from cairn.errors import Conflict, NotFound
from cairn.store.models import AssetLabelRow, AssetRow, AssetUseRow
from cairn.store.records import Asset, AssetKind, AssetUse, NewAsset
from cairn.store.sql import asset_refs as refs
from cairn.store.sql import convert
from cairn.store.sql.base import SqlBase, insert_row, merge, require_actor, similar
from cairn.store.sql.job_rows import job_row

_MAX_VERSION_ATTEMPTS = 5


class SqlAssetStore(SqlBase):
    def create(self, workspace: str, asset: NewAsset, *, actor: str) -> Asset:
        """Register a version; `version=None` takes the next integer after the highest one."""
        require_actor(actor)
        kind = AssetKind(asset.kind)
        refs.check_name(asset.name)
        if asset.version is not None:
            refs.check_version(asset.version)
        with self.db.write() as session:
            ws = self.workspace_id(session, workspace)
            if asset.produced_by_job_id is not None:
                job_row(session, asset.produced_by_job_id)
            row = self._insert_version(session, ws, kind, asset, actor)
            self.audit(
                session,
                actor=actor,
                action="asset.create",
                workspace=ws,
                target_kind=kind,
                target_name=f"{row.name}:{row.version}",
                detail={"asset_id": row.id, "content_hash": row.content_hash},
            )
            return self._records(session, [row])[0]

    def _insert_version(
        self, session: Session, ws: int, kind: AssetKind, asset: NewAsset, actor: str
    ) -> AssetRow:
        for _ in range(_MAX_VERSION_ATTEMPTS):
            version = asset.version or str(_highest_number(session, ws, kind, asset.name) + 1)
            row = AssetRow(
                workspace_id=ws,
                kind=kind,
                name=asset.name,
                version=version,
                version_number=refs.version_number(version),
                content_hash=asset.content_hash,
                spec=dict(asset.spec),
                description=asset.description,
                tags=dict(asset.tags),
                archived=False,
                created_at=self.db.now(),
                created_by=actor,
                produced_by_job_id=asset.produced_by_job_id,
                produced_by_output=asset.produced_by_output,
            )
            if insert_row(session, row) is None:
                return row
            if asset.version is not None:
                raise Conflict(
                    f"{kind} {asset.name}:{version} already exists",
                    details={"kind": kind, "name": asset.name, "version": version},
                ) from None
        raise Conflict(f"could not allocate a version of {kind} {asset.name}; try again")

    def get(self, workspace: str, kind: AssetKind, name: str, version: str) -> Asset:
        return self.resolve(workspace, kind, f"{name}:{version}")

    def resolve(self, workspace: str, kind: AssetKind, ref: str) -> Asset:
        """Find `name:version`, `name@label`, `name@latest` or `name` (= latest)."""
        kind = AssetKind(kind)
        parsed = refs.parse_ref(ref)
        with self.db.read() as session:
            ws = self.workspace_id(session, workspace)
            versions = self._versions(session, ws, kind, parsed.name)
            if not versions:
                names = list(session.scalars(_names_query(ws, kind)))
                raise refs.no_such_name(kind, parsed.name, similar(parsed.name, names))
            row = self._pick(session, versions, parsed)
            return self._records(session, [row])[0]

    def _pick(self, session: Session, versions: list[AssetRow], ref: refs.AssetRef) -> AssetRow:
        kind = versions[0].kind
        if ref.version is not None:
            for row in versions:
                if row.version == ref.version:
                    return row
            raise refs.no_such_version(kind, ref, [row.version for row in versions])
        live = [row for row in versions if not row.archived]
        if ref.label == refs.LATEST:
            if live:
                return max(live, key=lambda row: row.id)
            raise refs.no_such_label(kind, ref, [], [row.version for row in versions])
        by_id = {row.id: row for row in versions}
        query = select(AssetLabelRow).where(AssetLabelRow.asset_id.in_(list(by_id)))
        labels = {row.label: row.asset_id for row in session.scalars(query)}
        if ref.label in labels:
            return by_id[labels[ref.label]]
        known = [*labels, refs.LATEST] if live else list(labels)
        raise refs.no_such_label(kind, ref, known, [row.version for row in versions])

    def versions(
        self, workspace: str, kind: AssetKind, name: str, *, include_archived: bool = True
    ) -> list[Asset]:
        """Every version of `name`, oldest first."""
        with self.db.read() as session:
            ws = self.workspace_id(session, workspace)
            rows = self._versions(session, ws, AssetKind(kind), name)
            if not include_archived:
                rows = [row for row in rows if not row.archived]
            return self._records(session, rows)

    def list_latest(
        self, workspace: str, kind: AssetKind, *, include_archived: bool = False
    ) -> list[Asset]:
        """The latest version of each asset name of `kind`, by name."""
        with self.db.read() as session:
            ws = self.workspace_id(session, workspace)
            query = select(func.max(AssetRow.id)).where(
                AssetRow.workspace_id == ws, AssetRow.kind == AssetKind(kind)
            )
            if not include_archived:
                query = query.where(AssetRow.archived == false())
            ids = list(session.scalars(query.group_by(AssetRow.name)))
            rows = session.scalars(
                select(AssetRow).where(AssetRow.id.in_(ids)).order_by(AssetRow.name)
            )
            return self._records(session, list(rows))

    def set_label(
        self, workspace: str, kind: AssetKind, name: str, label: str, version: str, *, actor: str
    ) -> Asset:
        """Point `name@label` at `version` (moving it if it pointed elsewhere)."""
        require_actor(actor)
        refs.check_label(label)
        target = self.get(workspace, kind, name, version)
        with self.db.write() as session:
            ws = self.workspace_id(session, workspace)
            row = session.scalar(_label_query(ws, target.kind, name, label))
            if row is None:
                session.add(
                    AssetLabelRow(
                        workspace_id=ws,
                        kind=target.kind,
                        name=name,
                        label=label,
                        asset_id=target.id,
                    )
                )
            else:
                row.asset_id = target.id
            self._audit_asset(session, actor, "asset.label", ws, target.kind, name, version, label)
            session.flush()
            return self._records(session, [session.get_one(AssetRow, target.id)])[0]

    def remove_label(
        self, workspace: str, kind: AssetKind, name: str, label: str, *, actor: str
    ) -> None:
        require_actor(actor)
        refs.check_label(label)
        kind = AssetKind(kind)
        with self.db.write() as session:
            ws = self.workspace_id(session, workspace)
            row = session.scalar(_label_query(ws, kind, name, label))
            if row is None:
                raise NotFound(f"{kind} {name} has no label {label}")
            session.delete(row)
            self._audit_asset(session, actor, "asset.unlabel", ws, kind, name, None, label)

    def update(
        self,
        workspace: str,
        kind: AssetKind,
        name: str,
        version: str,
        *,
        description: str | None = None,
        tags: Mapping[str, str | None] | None = None,
        actor: str,
    ) -> Asset:
        """Change a version's description or tags (a `None` tag value deletes the tag)."""
        require_actor(actor)
        target = self.get(workspace, kind, name, version)
        with self.db.write() as session:
            row = session.get_one(AssetRow, target.id, with_for_update=True)
            if description is not None:
                row.description = description
            if tags:
                row.tags = merge(row.tags, tags)
            self._audit_asset(
                session, actor, "asset.update", row.workspace_id, row.kind, name, version, None
            )
            return self._records(session, [row])[0]

    def set_archived(
        self,
        workspace: str,
        kind: AssetKind,
        name: str,
        archived: bool,
        *,
        version: str | None = None,
        actor: str,
    ) -> list[Asset]:
        """Archive or restore one version, or every version when `version` is `None`."""
        require_actor(actor)
        kind = AssetKind(kind)
        with self.db.write() as session:
            ws = self.workspace_id(session, workspace)
            rows = self._versions(session, ws, kind, name)
            if not rows:
                names = list(session.scalars(_names_query(ws, kind)))
                raise refs.no_such_name(kind, name, similar(name, names))
            if version is not None:
                rows = [self._pick(session, rows, refs.AssetRef(name, version=version))]
            for row in rows:
                row.archived = archived
            action = "asset.archive" if archived else "asset.restore"
            self._audit_asset(session, actor, action, ws, kind, name, version, None)
            return self._records(session, rows)

    # -- lineage -------------------------------------------------------------------------------

    def record_use(self, job_id: int, asset_id: int, input_name: str, *, actor: str) -> AssetUse:
        """Record that job `job_id` consumed asset version `asset_id` through `input_name`."""
        require_actor(actor)
        with self.db.write() as session:
            job = job_row(session, job_id)
            asset = session.get(AssetRow, asset_id)
            if asset is None:
                raise NotFound(f"no asset with id {asset_id}")
            query = select(AssetUseRow).where(
                AssetUseRow.job_id == job_id,
                AssetUseRow.asset_id == asset_id,
                AssetUseRow.input_name == input_name,
            )
            use = session.scalar(query)
            if use is None:
                use = AssetUseRow(
                    job_id=job_id, asset_id=asset_id, input_name=input_name, at=self.db.now()
                )
                session.add(use)
                self.audit(
                    session,
                    actor=actor,
                    action="asset.use",
                    workspace=asset.workspace_id,
                    target_kind=asset.kind,
                    target_name=f"{asset.name}:{asset.version}",
                    detail={"job": job.name, "job_id": job_id, "input": input_name},
                )
            return AssetUse(job_id, asset_id, input_name, use.at)

    def uses_of(self, asset_id: int) -> list[AssetUse]:
        """The jobs that consumed asset version `asset_id`."""
        return self._uses(AssetUseRow.asset_id == asset_id)

    def used_by(self, job_id: int) -> list[AssetUse]:
        """The asset versions job `job_id` consumed."""
        return self._uses(AssetUseRow.job_id == job_id)

    def _uses(self, condition: ColumnElement[bool]) -> list[AssetUse]:
        with self.db.read() as session:
            rows = session.scalars(select(AssetUseRow).where(condition).order_by(AssetUseRow.id))
            return [AssetUse(r.job_id, r.asset_id, r.input_name, r.at) for r in rows]

    def produced_by(self, job_id: int) -> list[Asset]:
        """The asset versions registered from job `job_id`'s outputs."""
        with self.db.read() as session:
            query = select(AssetRow).where(AssetRow.produced_by_job_id == job_id)
            return self._records(session, list(session.scalars(query.order_by(AssetRow.id))))

    def by_ids(self, asset_ids: Collection[int]) -> list[Asset]:
        with self.db.read() as session:
            query = select(AssetRow).where(AssetRow.id.in_(list(asset_ids)))
            return self._records(session, list(session.scalars(query.order_by(AssetRow.id))))

    # -- helpers -------------------------------------------------------------------------------

    def _versions(self, session: Session, ws: int, kind: AssetKind, name: str) -> list[AssetRow]:
        query = select(AssetRow).where(
            AssetRow.workspace_id == ws, AssetRow.kind == kind, AssetRow.name == name
        )
        return list(session.scalars(query.order_by(AssetRow.id)))

    def _records(self, session: Session, rows: Sequence[AssetRow]) -> list[Asset]:
        labels: dict[int, list[str]] = {row.id: [] for row in rows}
        if rows:
            query = select(AssetLabelRow).where(AssetLabelRow.asset_id.in_(list(labels)))
            for label in session.scalars(query):
                labels[label.asset_id].append(label.label)
        return [
            convert.asset(row, self.workspace_name(session, row.workspace_id), labels[row.id])
            for row in rows
        ]

    def _audit_asset(
        self,
        session: Session,
        actor: str,
        action: str,
        workspace: int,
        kind: str,
        name: str,
        version: str | None,
        label: str | None,
    ) -> None:
        target = name if version is None else f"{name}:{version}"
        detail = {} if label is None else {"label": label}
        self.audit(
            session,
            actor=actor,
            action=action,
            workspace=workspace,
            target_kind=kind,
            target_name=target,
            detail=detail,
        )


def _highest_number(session: Session, ws: int, kind: AssetKind, name: str) -> int:
    query = select(func.max(AssetRow.version_number)).where(
        AssetRow.workspace_id == ws, AssetRow.kind == kind, AssetRow.name == name
    )
    return session.scalar(query) or 0


def _names_query(ws: int, kind: AssetKind) -> Select[str]:
    return (
        select(AssetRow.name).where(AssetRow.workspace_id == ws, AssetRow.kind == kind).distinct()
    )


def _label_query(ws: int, kind: str, name: str, label: str) -> Select[AssetLabelRow]:
    return select(AssetLabelRow).where(
        AssetLabelRow.workspace_id == ws,
        AssetLabelRow.kind == kind,
        AssetLabelRow.name == name,
        AssetLabelRow.label == label,
    )
