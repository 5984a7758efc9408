"""The values the store hands out and takes in.

Frozen dataclasses, one per aggregate, plus the small `New…` shapes callers fill in to create
things. ORM rows never leave `cairn.store`; every read returns one of these. JSON-valued fields are
typed `Mapping` to say "read only" — treat them as frozen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from cairn.store.status import JobStatus

T = TypeVar("T")


class AssetKind(StrEnum):
    """The kinds of versioned asset a workspace registers."""

    COMPONENT = "component"
    DATA = "data"
    ENVIRONMENT = "environment"
    MODEL = "model"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a keyset-paginated list; pass `next_cursor` back to get the next page."""

    items: tuple[T, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Workspace:
    id: int
    name: str
    description: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Move:
    """One status transition in a batch (`JobStore.apply`): `at` is when it really happened
    (a launcher's own clock), or None for now."""

    job_id: int
    status: JobStatus
    at: datetime | None = None
    reason: str | None = None
    detail: Mapping[str, Any] | None = None
    expected_from: JobStatus | frozenset[JobStatus] | None = None
    reused_from: int | None = None
    """For a move to `Completed` by reuse: the job whose outputs this one takes."""


@dataclass(frozen=True, slots=True)
class NewJob:
    """What a caller supplies to create a job (top-level or child)."""

    type: str
    name: str | None = None
    """Requested name; `None` generates an `adjective_noun_suffix` name."""
    display_name: str | None = None
    experiment_name: str = "Default"
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    properties: Mapping[str, Any] = field(default_factory=dict)
    compute: str | None = None
    source: Mapping[str, Any] = field(default_factory=dict)
    """Where the job came from, e.g. `{"commit": "…", "file": "pipeline.yml"}`."""
    plan: Mapping[str, Any] | None = None
    """The frozen plan (or, for a child, its node's part), stored verbatim as JSON."""
    node_name: str | None = None
    node_path: str | None = None
    status: JobStatus = JobStatus.NOT_STARTED
    """Initial status: `NotStarted` or `Queued`."""
    reuse_key: str | None = None
    """The key a step will be (or was) run under, and the parts it hashes."""
    reuse_key_parts: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """A job row without its plan (fetch that with `JobStore.plan`)."""

    id: int
    workspace: str
    name: str
    parent_id: int | None
    node_name: str | None
    node_path: str | None
    type: str
    status: JobStatus
    status_at: datetime
    display_name: str
    experiment_name: str
    description: str | None
    tags: Mapping[str, str]
    properties: Mapping[str, Any]
    compute: str | None
    created_by: str
    created_at: datetime
    source: Mapping[str, Any]
    reuse_key: str | None
    reuse_key_parts: Mapping[str, Any] | None
    reused_from_id: int | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    heartbeat_at: datetime | None
    archived: bool


@dataclass(frozen=True, slots=True)
class JobEvent:
    """One status transition (the first event of a job is the status it was created in)."""

    id: int
    job_id: int
    status: JobStatus
    at: datetime
    reason: str | None
    detail: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class NewAsset:
    """What a caller supplies to register an asset version."""

    kind: AssetKind
    name: str
    version: str | None = None
    """`None` takes the next integer after the highest integer version."""
    spec: Mapping[str, Any] = field(default_factory=dict)
    content_hash: str | None = None
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    produced_by_job_id: int | None = None
    produced_by_output: str | None = None


@dataclass(frozen=True, slots=True)
class Asset:
    """One version of a registered asset."""

    id: int
    workspace: str
    kind: AssetKind
    name: str
    version: str
    labels: tuple[str, ...]
    """User labels pointing at this version (`latest` is implicit and never listed)."""
    content_hash: str | None
    spec: Mapping[str, Any]
    description: str | None
    tags: Mapping[str, str]
    archived: bool
    created_at: datetime
    created_by: str
    produced_by_job_id: int | None
    produced_by_output: str | None


@dataclass(frozen=True, slots=True)
class AssetUse:
    """A job consumed an asset version through one of its inputs."""

    job_id: int
    asset_id: int
    input_name: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Compute:
    id: int
    workspace: str
    name: str
    type: str
    max_instances: int
    spec: Mapping[str, Any]
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class Datastore:
    """A datastore; `secret_blob` is opaque ciphertext that only the data layer can open."""

    id: int
    workspace: str
    name: str
    type: str
    spec: Mapping[str, Any]
    is_default: bool
    created_at: datetime
    created_by: str
    secret_blob: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One value to log; `timestamp=None` means "now" on the store's clock."""

    key: str
    value: float
    step: int = 0
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class Metric:
    id: int
    job_id: int
    key: str
    value: float
    step: int
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    workspace: str | None
    target_kind: str
    target_name: str
    detail: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class JobTimings:
    """Seconds spent in each phase, from the event rows; `None` where the phase never happened."""

    queued_s: float | None
    preparing_s: float | None
    running_s: float | None
    finalizing_s: float | None
    total_s: float | None


def job_timings(events: Sequence[JobEvent]) -> JobTimings:
    """Split a job's life into queue, preparation, run and finalize time.

    Each phase lasts from the first event entering it to the next event after it; `total_s` runs
    from the first event to a terminal one.
    """
    ordered = sorted(events, key=lambda e: (e.at, e.id))

    def phase(status: JobStatus) -> float | None:
        for i, event in enumerate(ordered):
            if event.status == status and i + 1 < len(ordered):
                return (ordered[i + 1].at - event.at).total_seconds()
        return None

    total = None
    if ordered and ordered[-1].status.is_terminal:
        total = (ordered[-1].at - ordered[0].at).total_seconds()
    return JobTimings(
        queued_s=phase(JobStatus.QUEUED),
        preparing_s=phase(JobStatus.PREPARING),
        running_s=phase(JobStatus.RUNNING),
        finalizing_s=phase(JobStatus.FINALIZING),
        total_s=total,
    )
