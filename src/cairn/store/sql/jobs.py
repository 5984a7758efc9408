"""Jobs: parent and child rows in one table, with tags, events and the frozen plan.

Owns creation (with generated, per-workspace unique names), reads, patches and archiving. Status
changes live in `transitions.py`, lease handling in `leases.py`, listing in `job_list.py`; this
class wires them into the one `JobStore` interface. Every creation writes the job's first event
row (the status it starts in) and an audit row in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer

from cairn.errors import Conflict, NotFound, UsageError
from cairn.store.db import Database
from cairn.store.models import JobEventRow, JobRow, JobTagRow
from cairn.store.names import NameGenerator, job_name
from cairn.store.records import Job, JobEvent, Move, NewJob, Page
from cairn.store.sql import batch, convert, job_list, leases, transitions
from cairn.store.sql.base import SqlBase, merge, require_actor
from cairn.store.sql.job_rows import job_row, load_jobs
from cairn.store.status import JobStatus

MAX_NAME_ATTEMPTS = 8
_INITIAL = (JobStatus.NOT_STARTED, JobStatus.QUEUED)
JOBS = cast("Table", JobRow.__table__)
EVENTS = cast("Table", JobEventRow.__table__)
TAGS = cast("Table", JobTagRow.__table__)


class SqlJobStore(SqlBase):
    def __init__(
        self,
        db: Database,
        workspace_ids: dict[str, int] | None = None,
        names: NameGenerator = job_name,
    ) -> None:
        super().__init__(db, workspace_ids)
        self._names = names

    # -- creation ------------------------------------------------------------------------------

    def create(self, workspace: str, job: NewJob, *, actor: str) -> Job:
        """Create a top-level job in `NotStarted` or `Queued`; a `None` name is generated."""
        require_actor(actor)
        with self.db.write() as session:
            row = self._insert(session, self.workspace_id(session, workspace), None, job, actor)
            return load_jobs(self, session, [row])[0]

    def create_children(
        self, parent_id: int, children: Sequence[NewJob], *, actor: str
    ) -> list[Job]:
        """Create child jobs (one per pipeline node) under `parent_id`, in one transaction.

        Children named by the caller (the usual case: step names derive from the parent's unique
        name) are inserted in bulk, with one audit row for the batch; a pipeline of 1,000 steps
        is one round of inserts, not 1,000."""
        require_actor(actor)
        _check_children(children)
        with self.db.write() as session:
            parent = job_row(session, parent_id)
            ids = self._insert_children(session, parent, children, actor)
            rows = session.scalars(select(JobRow).where(JobRow.id.in_(ids))).all()
            by_id = {row.id: row for row in rows}
            return load_jobs(self, session, [by_id[i] for i in ids])

    def create_pipeline(
        self, workspace: str, parent: NewJob, children: Sequence[NewJob], *, actor: str
    ) -> tuple[Job, list[int]]:
        """Create a pipeline job with its steps and queue it, all in one transaction: a
        submission either exists whole, `Queued` (its history says `NotStarted`, then
        `Queued`), or not at all. Returns the job and its steps' ids, in `children`'s order."""
        require_actor(actor)
        _check_children(children)
        with self.db.write() as session:
            row = self._insert(session, self.workspace_id(session, workspace), None, parent, actor)
            ids = self._insert_children(session, row, children, actor)
            if row.status != JobStatus.QUEUED:
                transitions.transition(
                    self, session, row.id, JobStatus.QUEUED, "submitted", None, None, actor
                )
            return load_jobs(self, session, [row])[0], ids

    def _insert_children(
        self, session: Session, parent: JobRow, children: Sequence[NewJob], actor: str
    ) -> list[int]:
        """The children's ids, in order. Named children (the usual case) go in as Core bulk
        statements: an ORM object per row and per event costs a statement each."""
        if any(child.name is None for child in children):
            rows = [
                self._insert(session, parent.workspace_id, parent.id, child, actor)
                for child in children
            ]
            return [row.id for row in rows]
        if not children:
            return []
        now = self.db.now()
        values = [
            _row_values(parent.workspace_id, parent.id, str(c.name), c, actor, now)
            for c in children
        ]
        try:
            with session.begin_nested():
                session.execute(insert(JOBS), values)  # one executemany, no RETURNING per row
        except IntegrityError:
            taken = [
                str(v["name"])
                for v in values
                if _name_taken(session, parent.workspace_id, str(v["name"]))
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
        self.audit(
            session,
            actor=actor,
            action="job.create_children",
            workspace=parent.workspace_id,
            target_kind="job",
            target_name=parent.name,
            detail={"parent_id": parent.id, "count": len(ids)},
        )
        return ids

    def _insert(
        self, session: Session, workspace_id: int, parent_id: int | None, job: NewJob, actor: str
    ) -> JobRow:
        if job.status not in _INITIAL:
            raise UsageError(f"a job starts NotStarted or Queued, not {job.status}")
        now = self.db.now()
        row = self._insert_named(session, workspace_id, parent_id, job, actor, now)
        session.add_all(JobTagRow(job_id=row.id, key=k, value=v) for k, v in job.tags.items())
        session.add(JobEventRow(job_id=row.id, status=job.status, at=now, reason="created"))
        self.audit(
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
        self,
        session: Session,
        workspace_id: int,
        parent_id: int | None,
        job: NewJob,
        actor: str,
        now: datetime,
    ) -> JobRow:
        for _ in range(MAX_NAME_ATTEMPTS):
            name = job.name or self._names()
            row = _new_row(workspace_id, parent_id, name, job, actor, now)
            try:
                with session.begin_nested():
                    session.add(row)
                    session.flush()
                return row
            except IntegrityError:
                if not _name_taken(session, workspace_id, name):
                    raise
                if job.name is not None:
                    raise Conflict(
                        f"a job named {name} already exists in this workspace",
                        details={"name": name},
                    ) from None
        raise Conflict(f"no free job name after {MAX_NAME_ATTEMPTS} attempts")

    # -- reads ---------------------------------------------------------------------------------

    def get(self, job_id: int) -> Job:
        with self.db.read() as session:
            return load_jobs(self, session, [job_row(session, job_id)])[0]

    def get_by_name(self, workspace: str, name: str) -> Job:
        with self.db.read() as session:
            ws = self.workspace_id(session, workspace)
            row = session.scalar(
                select(JobRow).where(JobRow.workspace_id == ws, JobRow.name == name)
            )
            if row is None:
                raise NotFound(
                    f"no job named {name} in workspace {workspace}",
                    details={"workspace": workspace, "name": name},
                )
            return load_jobs(self, session, [row])[0]

    def plan(self, job_id: int) -> Mapping[str, Any] | None:
        with self.db.read() as session:
            query = select(JobRow).options(undefer(JobRow.plan)).where(JobRow.id == job_id)
            row = session.scalar(query)
            if row is None:
                raise NotFound(f"no job with id {job_id}", details={"job_id": job_id})
            return row.plan

    def children(self, parent_id: int) -> list[Job]:
        with self.db.read() as session:
            job_row(session, parent_id)
            query = select(JobRow).where(JobRow.parent_id == parent_id).order_by(JobRow.id)
            return load_jobs(self, session, list(session.scalars(query)))

    def events(self, job_id: int) -> list[JobEvent]:
        with self.db.read() as session:
            job_row(session, job_id)
            query = select(JobEventRow).where(JobEventRow.job_id == job_id).order_by(JobEventRow.id)
            return [convert.job_event(row) for row in session.scalars(query)]

    def previous_runs(
        self, workspace: str, node_path: str, *, not_under: int, limit: int = 20
    ) -> list[Job]:
        """The newest runs of step `node_path` (with recorded reuse-key parts) outside the job
        `not_under`, newest first: the candidates a reuse explanation compares against."""
        with self.db.read() as session:
            ws = self.workspace_id(session, workspace)
            rows = session.scalars(
                select(JobRow)
                .where(
                    JobRow.workspace_id == ws,
                    JobRow.node_path == node_path,
                    JobRow.parent_id != not_under,
                    JobRow.reuse_key_parts.is_not(None),
                    JobRow.status.in_([JobStatus.COMPLETED, JobStatus.FAILED]),
                    JobRow.reused_from_id.is_(None),
                )
                .order_by(JobRow.id.desc())
                .limit(limit)
            )
            return load_jobs(self, session, list(rows))

    def children_events(self, parent_id: int) -> dict[int, list[JobEvent]]:
        """The events of every child of `parent_id`, in one query (for timing tables)."""
        with self.db.read() as session:
            job_row(session, parent_id)
            # Plain rows rather than ORM objects: a 1,000-step pipeline has several thousand
            # events, and the studio reads them on every refresh of its job page.
            columns = (JobEventRow.id, JobEventRow.job_id, JobEventRow.status, JobEventRow.at)
            query = (
                select(*columns, JobEventRow.reason, JobEventRow.detail)
                .join(JobRow, JobRow.id == JobEventRow.job_id)
                .where(JobRow.parent_id == parent_id)
                .order_by(JobEventRow.job_id, JobEventRow.id)
            )
            out: dict[int, list[JobEvent]] = {}
            for row in session.execute(query):
                out.setdefault(row.job_id, []).append(
                    JobEvent(
                        id=row.id,
                        job_id=row.job_id,
                        status=JobStatus(row.status),
                        at=row.at,
                        reason=row.reason,
                        detail=None if row.detail is None else dict(row.detail),
                    )
                )
            return out

    # -- patches -------------------------------------------------------------------------------

    def update(
        self,
        job_id: int,
        *,
        tags: Mapping[str, str | None] | None = None,
        properties: Mapping[str, Any | None] | None = None,
        display_name: str | None = None,
        description: str | None = None,
        actor: str,
    ) -> Job:
        """Patch a job: a `None` value in `tags`/`properties` deletes that key."""
        require_actor(actor)
        with self.db.write() as session:
            row = job_row(session, job_id, lock=True)
            if properties:
                row.properties = merge(row.properties, properties)
            if display_name is not None:
                row.display_name = display_name
            if description is not None:
                row.description = description
            if tags:
                _patch_tags(session, job_id, tags)
            self.audit(
                session,
                actor=actor,
                action="job.update",
                workspace=row.workspace_id,
                target_kind="job",
                target_name=row.name,
                detail={
                    "job_id": job_id,
                    "tags": dict(tags or {}),
                    "properties": sorted(properties or {}),
                    "display_name": display_name,
                    "description": description is not None,
                },
            )
            session.flush()
            return load_jobs(self, session, [row])[0]

    def set_archived(self, job_id: int, archived: bool, *, actor: str) -> Job:
        """Archive (hide from lists) or restore a job; only a finished job can be archived."""
        require_actor(actor)
        with self.db.write() as session:
            row = job_row(session, job_id, lock=True)
            if archived and not JobStatus(row.status).is_terminal:
                raise Conflict(
                    f"job {row.name} is {row.status}; only a finished job can be archived"
                )
            row.archived = archived
            self.audit(
                session,
                actor=actor,
                action="job.archive" if archived else "job.restore",
                workspace=row.workspace_id,
                target_kind="job",
                target_name=row.name,
                detail={"job_id": job_id},
            )
            return load_jobs(self, session, [row])[0]

    # -- status, reuse and leases (see transitions.py and leases.py) ---------------------------

    def transition(
        self,
        job_id: int,
        new_status: JobStatus,
        *,
        reason: str | None = None,
        detail: Mapping[str, Any] | None = None,
        expected_from: JobStatus | Collection[JobStatus] | None = None,
        actor: str,
    ) -> Job:
        """Move a job to `new_status` atomically; see `transitions.transition`."""
        require_actor(actor)
        with self.db.write() as session:
            row = transitions.transition(
                self, session, job_id, new_status, reason, detail, expected_from, actor
            )
            return load_jobs(self, session, [row])[0]

    def apply(
        self,
        moves: Sequence[Move],
        *,
        properties: Mapping[int, Mapping[str, Any | None]] | None = None,
        actor: str,
        load: bool = True,
    ) -> list[Job]:
        """Several transitions (and property patches) in one transaction, audited as one call.

        The engine uses this to record a step's whole timeline at once (Preparing, Running,
        Finalizing, Completed at the times the launcher saw them) with its committed outputs;
        it passes `load=False` (nothing is read back)."""
        require_actor(actor)
        with self.db.write() as session:
            changed = batch.apply_batch(self, session, moves, properties or {})
            if not changed:
                return []
            _, first_name, first_workspace = changed[0]
            self.audit(
                session,
                actor=actor,
                action="job.apply",
                workspace=first_workspace,
                target_kind="job",
                target_name=first_name,
                detail={
                    "moves": [[m.job_id, str(m.status), m.reason] for m in moves],
                    "properties": sorted(properties or {}),
                },
            )
            if not load:
                return []
            session.expire_all()
            ids = [job_id for job_id, _, _ in changed]
            rows = list(session.scalars(select(JobRow).where(JobRow.id.in_(ids))))
            return load_jobs(self, session, rows)

    def record_reuse_key(
        self, job_id: int, reuse_key: str, parts: Mapping[str, Any], *, actor: str
    ) -> Job:
        require_actor(actor)
        with self.db.write() as session:
            row = transitions.record_reuse_key(self, session, job_id, reuse_key, parts, actor)
            return load_jobs(self, session, [row])[0]

    def find_reusable(self, workspace: str, reuse_key: str) -> Job | None:
        with self.db.read() as session:
            ws = self.workspace_id(session, workspace)
            row = transitions.find_reusable(session, ws, reuse_key)
            return None if row is None else load_jobs(self, session, [row])[0]

    def mark_reused(
        self, job_id: int, reused_from_id: int, *, reason: str | None = None, actor: str
    ) -> Job:
        require_actor(actor)
        with self.db.write() as session:
            row = transitions.mark_reused(self, session, job_id, reused_from_id, reason, actor)
            return load_jobs(self, session, [row])[0]

    def claim_queued(
        self,
        owner: str,
        lease_seconds: float,
        limit: int = 1,
        *,
        top_level_only: bool = True,
        workspace: str | None = None,
    ) -> list[Job]:
        with self.db.write() as session:
            wid = None if workspace is None else self.workspace_id(session, workspace)
            rows = leases.claim_queued(
                self, session, owner, lease_seconds, limit, top_level_only, wid
            )
            return load_jobs(self, session, rows)

    def renew_lease(self, owner: str, job_ids: Collection[int], lease_seconds: float) -> list[int]:
        with self.db.write() as session:
            return leases.renew(self, session, owner, job_ids, lease_seconds)

    def release_lease(self, owner: str, job_ids: Collection[int]) -> list[int]:
        with self.db.write() as session:
            return leases.release(self, session, owner, job_ids)

    def adopt_expired(
        self,
        owner: str,
        lease_seconds: float,
        limit: int = 100,
        *,
        top_level_only: bool = True,
        workspace: str | None = None,
        owners_gone: Collection[str] = (),
    ) -> list[Job]:
        with self.db.write() as session:
            wid = None if workspace is None else self.workspace_id(session, workspace)
            rows = leases.adopt_expired(
                self, session, owner, lease_seconds, limit, top_level_only, wid, owners_gone
            )
            return load_jobs(self, session, rows)

    def lease_owners(self, workspace: str | None = None) -> list[str]:
        with self.db.read() as session:
            wid = None if workspace is None else self.workspace_id(session, workspace)
            return leases.lease_owners(session, wid)

    def list(
        self,
        workspace: str,
        *,
        status: JobStatus | Collection[JobStatus] | None = None,
        experiment_name: str | None = None,
        tags: Mapping[str, str | None] | None = None,
        parent_id: int | None = None,
        include_children: bool = False,
        archived: bool | None = False,
        limit: int = 50,
        cursor: str | None = None,
        text: str | None = None,
    ) -> Page[Job]:
        filters = job_list.JobFilters(
            text=text,
            status=status,
            experiment_name=experiment_name,
            tags=tags,
            parent_id=parent_id,
            include_children=include_children,
            archived=archived,
        )
        with self.db.read() as session:
            ws = self.workspace_id(session, workspace)
            rows, next_cursor = job_list.page(session, ws, filters, limit=limit, cursor=cursor)
            return Page(tuple(load_jobs(self, session, rows)), next_cursor)


def _check_children(children: Sequence[NewJob]) -> None:
    for child in children:
        if not child.node_name:
            raise UsageError("a child job needs the node_name of its pipeline node")
        if child.status not in _INITIAL:
            raise UsageError(f"a job starts NotStarted or Queued, not {child.status}")


def _new_row(
    workspace_id: int,
    parent_id: int | None,
    name: str,
    job: NewJob,
    actor: str,
    now: datetime,
) -> JobRow:
    return JobRow(**_row_values(workspace_id, parent_id, name, job, actor, now))


def _row_values(
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


def _name_taken(session: Session, workspace_id: int, name: str) -> bool:
    query = select(JobRow.id).where(JobRow.workspace_id == workspace_id, JobRow.name == name)
    return session.scalar(query) is not None


def _patch_tags(session: Session, job_id: int, tags: Mapping[str, str | None]) -> None:
    existing = {
        tag.key: tag for tag in session.scalars(select(JobTagRow).where(JobTagRow.job_id == job_id))
    }
    for key, value in tags.items():
        row = existing.get(key)
        if value is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(JobTagRow(job_id=job_id, key=key, value=value))
        else:
            row.value = value
