"""The store's interfaces: one small Protocol per aggregate.

Layers above the store (engine, server, workspace services) depend on these, never on the SQL
classes. Every mutating method takes `actor` (who did it; it goes into the audit log in the same
transaction) and returns records from `cairn.store.records`. Lookups that find nothing raise
`cairn.errors.NotFound`; name clashes raise `Conflict`; malformed arguments raise `UsageError`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol

from cairn.store.records import (
    Asset,
    AssetKind,
    AssetUse,
    AuditEntry,
    Compute,
    Datastore,
    Job,
    JobEvent,
    Metric,
    MetricPoint,
    Move,
    NewAsset,
    NewJob,
    Page,
    Workspace,
)
from cairn.store.status import JobStatus


class WorkspaceStore(Protocol):
    def create(self, name: str, *, description: str | None = None, actor: str) -> Workspace: ...
    def get(self, name: str) -> Workspace: ...
    def list(self) -> list[Workspace]: ...


class JobStore(Protocol):
    def create(self, workspace: str, job: NewJob, *, actor: str) -> Job: ...
    def create_children(
        self, parent_id: int, children: Sequence[NewJob], *, actor: str
    ) -> list[Job]: ...
    def create_pipeline(
        self, workspace: str, parent: NewJob, children: Sequence[NewJob], *, actor: str
    ) -> tuple[Job, list[int]]: ...
    def get(self, job_id: int) -> Job: ...
    def get_by_name(self, workspace: str, name: str) -> Job: ...
    def plan(self, job_id: int) -> Mapping[str, Any] | None: ...
    def children(self, parent_id: int) -> list[Job]: ...
    def events(self, job_id: int) -> list[JobEvent]: ...
    def children_events(self, parent_id: int) -> dict[int, list[JobEvent]]: ...
    def previous_runs(
        self, workspace: str, node_path: str, *, not_under: int, limit: int = 20
    ) -> list[Job]: ...
    def update(
        self,
        job_id: int,
        *,
        tags: Mapping[str, str | None] | None = None,
        properties: Mapping[str, Any | None] | None = None,
        display_name: str | None = None,
        description: str | None = None,
        actor: str,
    ) -> Job: ...
    def set_archived(self, job_id: int, archived: bool, *, actor: str) -> Job: ...
    def transition(
        self,
        job_id: int,
        new_status: JobStatus,
        *,
        reason: str | None = None,
        detail: Mapping[str, Any] | None = None,
        expected_from: JobStatus | Collection[JobStatus] | None = None,
        actor: str,
    ) -> Job: ...
    def apply(
        self,
        moves: Sequence[Move],
        *,
        properties: Mapping[int, Mapping[str, Any | None]] | None = None,
        actor: str,
        load: bool = True,
    ) -> list[Job]: ...
    def record_reuse_key(
        self, job_id: int, reuse_key: str, parts: Mapping[str, Any], *, actor: str
    ) -> Job: ...
    def find_reusable(self, workspace: str, reuse_key: str) -> Job | None: ...
    def mark_reused(
        self, job_id: int, reused_from_id: int, *, reason: str | None = None, actor: str
    ) -> Job: ...
    def claim_queued(
        self,
        owner: str,
        lease_seconds: float,
        limit: int = 1,
        *,
        top_level_only: bool = True,
        workspace: str | None = None,
    ) -> list[Job]: ...
    def renew_lease(
        self, owner: str, job_ids: Collection[int], lease_seconds: float
    ) -> list[int]: ...
    def release_lease(self, owner: str, job_ids: Collection[int]) -> list[int]: ...
    def adopt_expired(
        self,
        owner: str,
        lease_seconds: float,
        limit: int = 100,
        *,
        top_level_only: bool = True,
        workspace: str | None = None,
        owners_gone: Collection[str] = (),
    ) -> list[Job]: ...
    def lease_owners(self, workspace: str | None = None) -> list[str]: ...

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
    ) -> Page[Job]: ...


class AssetStore(Protocol):
    def create(self, workspace: str, asset: NewAsset, *, actor: str) -> Asset: ...
    def get(self, workspace: str, kind: AssetKind, name: str, version: str) -> Asset: ...
    def resolve(self, workspace: str, kind: AssetKind, ref: str) -> Asset: ...
    def versions(
        self, workspace: str, kind: AssetKind, name: str, *, include_archived: bool = True
    ) -> list[Asset]: ...
    def list_latest(
        self, workspace: str, kind: AssetKind, *, include_archived: bool = False
    ) -> list[Asset]: ...
    def set_label(
        self, workspace: str, kind: AssetKind, name: str, label: str, version: str, *, actor: str
    ) -> Asset: ...
    def remove_label(
        self, workspace: str, kind: AssetKind, name: str, label: str, *, actor: str
    ) -> None: ...
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
    ) -> Asset: ...
    def set_archived(
        self,
        workspace: str,
        kind: AssetKind,
        name: str,
        archived: bool,
        *,
        version: str | None = None,
        actor: str,
    ) -> list[Asset]: ...
    def record_use(
        self, job_id: int, asset_id: int, input_name: str, *, actor: str
    ) -> AssetUse: ...
    def uses_of(self, asset_id: int) -> list[AssetUse]: ...
    def used_by(self, job_id: int) -> list[AssetUse]: ...
    def produced_by(self, job_id: int) -> list[Asset]: ...
    def by_ids(self, asset_ids: Collection[int]) -> list[Asset]: ...


class ComputeStore(Protocol):
    def create(
        self,
        workspace: str,
        name: str,
        type: str,
        *,
        max_instances: int = 1,
        spec: Mapping[str, Any] | None = None,
        actor: str,
    ) -> Compute: ...
    def get(self, workspace: str, name: str) -> Compute: ...
    def list(self, workspace: str) -> list[Compute]: ...
    def update(
        self,
        workspace: str,
        name: str,
        *,
        max_instances: int | None = None,
        spec: Mapping[str, Any] | None = None,
        actor: str,
    ) -> Compute: ...
    def delete(self, workspace: str, name: str, *, actor: str) -> None: ...


class DatastoreStore(Protocol):
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
    ) -> Datastore: ...
    def get(self, workspace: str, name: str) -> Datastore: ...
    def get_default(self, workspace: str) -> Datastore: ...
    def list(self, workspace: str) -> list[Datastore]: ...
    def update(
        self,
        workspace: str,
        name: str,
        *,
        spec: Mapping[str, Any] | None = None,
        secret_blob: bytes | None = None,
        clear_secret: bool = False,
        actor: str,
    ) -> Datastore: ...
    def set_default(self, workspace: str, name: str, *, actor: str) -> Datastore: ...
    def delete(self, workspace: str, name: str, *, actor: str) -> None: ...


class MetricStore(Protocol):
    def log(self, job_id: int, points: Sequence[MetricPoint], *, actor: str) -> int: ...
    def history(self, job_id: int, key: str) -> list[Metric]: ...
    def latest(self, job_id: int) -> dict[str, Metric]: ...
    def keys(self, job_id: int) -> list[str]: ...


class AuditStore(Protocol):
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
    ) -> Page[AuditEntry]: ...
