"""Cairn's metadata store: workspaces, jobs (the queue), assets, computes, datastores, metrics and
the audit log, in SQLite (one file per Cairn home) or PostgreSQL.

The server owns the database; everything else reaches it through the server. Inside the server,
callers use the Protocols in `cairn.store.interfaces` and the records in `cairn.store.records`;
ORM rows never leave this package. Start with `open_store(url)`.
"""

from typing import Any

from cairn.store.db import Clock, Database, make_engine, sqlite_url
from cairn.store.facade import DEFAULT_WORKSPACE, Store, open_store
from cairn.store.interfaces import (
    AssetStore,
    AuditStore,
    ComputeStore,
    DatastoreStore,
    JobStore,
    MetricStore,
    WorkspaceStore,
)
from cairn.store.records import (
    Asset,
    AssetKind,
    AssetUse,
    AuditEntry,
    Compute,
    Datastore,
    Job,
    JobEvent,
    JobTimings,
    Metric,
    MetricPoint,
    Move,
    NewAsset,
    NewJob,
    Page,
    Workspace,
    job_timings,
)
from cairn.store.status import (
    ACTIVE_STATUSES,
    LEGAL_TRANSITIONS,
    TERMINAL_STATUSES,
    IllegalTransition,
    JobStatus,
    StaleStatus,
)


def upgrade(target: Any, revision: str = "head") -> None:
    """Migrate a database (see `cairn.store.migrate.upgrade`; imported on use, with Alembic)."""
    from cairn.store.migrate import upgrade as run

    run(target, revision)


__all__ = [
    "ACTIVE_STATUSES",
    "DEFAULT_WORKSPACE",
    "LEGAL_TRANSITIONS",
    "TERMINAL_STATUSES",
    "Asset",
    "AssetKind",
    "AssetStore",
    "AssetUse",
    "AuditEntry",
    "AuditStore",
    "Clock",
    "Compute",
    "ComputeStore",
    "Database",
    "Datastore",
    "DatastoreStore",
    "IllegalTransition",
    "Job",
    "JobEvent",
    "JobStatus",
    "JobStore",
    "JobTimings",
    "Metric",
    "MetricPoint",
    "MetricStore",
    "Move",
    "NewAsset",
    "NewJob",
    "Page",
    "StaleStatus",
    "Store",
    "Workspace",
    "WorkspaceStore",
    "job_timings",
    "make_engine",
    "open_store",
    "sqlite_url",
    "upgrade",
]
