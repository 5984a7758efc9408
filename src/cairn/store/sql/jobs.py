"""Jobs: parent and child rows in one table, with tags, events and the frozen plan.

Owns the transactions of creation, reads, patches and archiving. The rows a creation inserts
(generated, per-workspace unique names; bulk inserts for a pipeline's steps) are made in
`creation.py`, status changes in `transitions.py`, lease handling in `leases.py`, listing in
`job_list.py`; this class wires them into the one `JobStore` interface. Every creation writes the
job's first event row (the status it starts in) and an audit row in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from cairn.errors import Conflict, NotFound
from cairn.store.db import Database
from cairn.store.models import JobEventRow, JobRow, JobTagRow
from cairn.store.names import NameGenerator, job_name
from cairn.store.records import Job, JobEvent, Move, NewJob, Page
from cairn.store.sql import batch, convert, creation, job_list, leases, transitions
from cairn.store.sql.base import SqlBase, merge, require_actor
from cairn.store.sql.job_rows import job_row, load_jobs
from cairn.store.status import JobStatus


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
            row = creation.insert_job(
                self, session, self.workspace_id(session, workspace), None, job, actor, self._names
            )
            return load_jobs(self, session, [row])[0]

    def create_children(
        self, parent_id: int, children: Sequence[NewJob], *, actor: str
    ) -> list[Job]:
        """Create child jobs (one per pipeline node) under `parent_id`, in one transaction.

        Children named by the caller (the usual case: step names derive from the parent's unique
        name) are inserted in bulk, with one audit row for the batch; a pipeline of 1,000 steps
        is one round of inserts, not 1,000."""
        require_actor(actor)
        creation.check_children(children)
        with self.db.write() as session:
            parent = job_row(session, parent_id)
            ids = creation.insert_children(self, session, parent, children, actor, self._names)
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
        creation.check_children(children)
        with self.db.write() as session:
            row = creation.insert_job(
                self,
                session,
                self.workspace_id(session, workspace),
                None,
                parent,
                actor,
                self._names,
            )
            ids = creation.insert_children(self, session, row, children, actor, self._names)
            if row.status != JobStatus.QUEUED:
                transitions.transition(
                    self, session, row.id, JobStatus.QUEUED, "submitted", None, None, actor
                )
            return load_jobs(self, session, [row])[0], ids

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
