"""`open_store`: one call from a URL to a migrated database and its stores.

The server calls this once at start-up and hands the `Store`'s parts to its services. Nothing
here is global: two `Store`s on two URLs live side by side (the tests rely on it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from cairn.store.db import Clock, Database, make_engine, utc_now
from cairn.store.interfaces import (
    AssetStore,
    AuditStore,
    ComputeStore,
    DatastoreStore,
    JobStore,
    MetricStore,
    WorkspaceStore,
)
from cairn.store.names import NameGenerator, job_name
from cairn.store.sql.assets import SqlAssetStore
from cairn.store.sql.audit import SqlAuditStore
from cairn.store.sql.jobs import SqlJobStore
from cairn.store.sql.metrics import SqlMetricStore
from cairn.store.sql.resources import SqlComputeStore, SqlDatastoreStore
from cairn.store.sql.workspaces import SqlWorkspaceStore

DEFAULT_WORKSPACE = "default"


@dataclass(frozen=True)
class Store:
    """The store's aggregates over one database."""

    database: Database
    workspaces: WorkspaceStore
    jobs: JobStore
    assets: AssetStore
    computes: ComputeStore
    datastores: DatastoreStore
    metrics: MetricStore
    audit: AuditStore

    def close(self) -> None:
        """Close every pooled connection."""
        self.database.dispose()


HEAD_REVISION = "0001"
"""The newest migration; a test keeps it equal to Alembic's head. Knowing it here lets a process
skip importing Alembic (a fifth of a second) whenever the database is already current."""


def at_head(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return False
    return current == HEAD_REVISION


def open_store(
    target: str | URL | Engine,
    *,
    migrate: bool = True,
    clock: Clock = utc_now,
    names: NameGenerator = job_name,
    connect_args: Mapping[str, Any] | None = None,
) -> Store:
    """Open the database at `target` (URL or engine), migrate it to head, and wire the stores.

    `clock` and `names` are injectable for tests; `connect_args` reach the DB driver (e.g.
    `{"options": "-csearch_path=cairn"}` for a PostgreSQL schema).
    """
    engine = (
        target if isinstance(target, Engine) else make_engine(target, connect_args=connect_args)
    )
    if migrate and not at_head(engine):
        from cairn.store.migrate import upgrade  # Alembic loads only when a migration is due

        upgrade(engine)
    db = Database(engine, clock)
    workspace_ids: dict[str, int] = {}
    return Store(
        database=db,
        workspaces=SqlWorkspaceStore(db, workspace_ids),
        jobs=SqlJobStore(db, workspace_ids, names),
        assets=SqlAssetStore(db, workspace_ids),
        computes=SqlComputeStore(db, workspace_ids),
        datastores=SqlDatastoreStore(db, workspace_ids),
        metrics=SqlMetricStore(db, workspace_ids),
        audit=SqlAuditStore(db, workspace_ids),
    )
