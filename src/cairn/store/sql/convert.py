"""Row → record conversion: the one place ORM rows turn into the frozen records callers see."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cairn.store.models import (
    AssetRow,
    AuditRow,
    ComputeRow,
    DatastoreRow,
    JobEventRow,
    JobRow,
    MetricRow,
    WorkspaceRow,
)
from cairn.store.records import (
    Asset,
    AssetKind,
    AuditEntry,
    Compute,
    Datastore,
    Job,
    JobEvent,
    Metric,
    Workspace,
)
from cairn.store.status import JobStatus


def workspace(row: WorkspaceRow) -> Workspace:
    return Workspace(
        id=row.id, name=row.name, description=row.description, created_at=row.created_at
    )


def job(row: JobRow, workspace: str, tags: Mapping[str, str]) -> Job:
    return Job(
        id=row.id,
        workspace=workspace,
        name=row.name,
        parent_id=row.parent_id,
        node_name=row.node_name,
        node_path=row.node_path,
        type=row.type,
        status=JobStatus(row.status),
        status_at=row.status_at,
        display_name=row.display_name,
        experiment_name=row.experiment_name,
        description=row.description,
        tags=dict(tags),
        properties=dict(row.properties),
        compute=row.compute,
        created_by=row.created_by,
        created_at=row.created_at,
        source=dict(row.source),
        reuse_key=row.reuse_key,
        reuse_key_parts=None if row.reuse_key_parts is None else dict(row.reuse_key_parts),
        reused_from_id=row.reused_from_id,
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
        heartbeat_at=row.heartbeat_at,
        archived=row.archived,
    )


def job_event(row: JobEventRow) -> JobEvent:
    return JobEvent(
        id=row.id,
        job_id=row.job_id,
        status=JobStatus(row.status),
        at=row.at,
        reason=row.reason,
        detail=None if row.detail is None else dict(row.detail),
    )


def asset(row: AssetRow, workspace: str, labels: Sequence[str]) -> Asset:
    return Asset(
        id=row.id,
        workspace=workspace,
        kind=AssetKind(row.kind),
        name=row.name,
        version=row.version,
        labels=tuple(sorted(labels)),
        content_hash=row.content_hash,
        spec=dict(row.spec),
        description=row.description,
        tags=dict(row.tags),
        archived=row.archived,
        created_at=row.created_at,
        created_by=row.created_by,
        produced_by_job_id=row.produced_by_job_id,
        produced_by_output=row.produced_by_output,
    )


def compute(row: ComputeRow, workspace: str) -> Compute:
    return Compute(
        id=row.id,
        workspace=workspace,
        name=row.name,
        type=row.type,
        max_instances=row.max_instances,
        spec=dict(row.spec),
        created_at=row.created_at,
        created_by=row.created_by,
    )


def datastore(row: DatastoreRow, workspace: str) -> Datastore:
    return Datastore(
        id=row.id,
        workspace=workspace,
        name=row.name,
        type=row.type,
        spec=dict(row.spec),
        is_default=row.is_default,
        created_at=row.created_at,
        created_by=row.created_by,
        secret_blob=row.secret_blob,
    )


def metric(row: MetricRow) -> Metric:
    return Metric(
        id=row.id,
        job_id=row.job_id,
        key=row.key,
        value=row.value,
        step=row.step,
        timestamp=row.timestamp,
    )


def audit_entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        workspace=row.workspace,
        target_kind=row.target_kind,
        target_name=row.target_name,
        detail=dict(row.detail),
    )
