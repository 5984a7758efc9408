"""The ORM schema: one class per table, the single source the migrations must match.

Rows never leave `cairn.store` (see `sql/convert.py`). Types are chosen to be portable: JSON
becomes JSONB on PostgreSQL, ids are BIGINT on PostgreSQL but INTEGER on SQLite (where only
`INTEGER PRIMARY KEY` is the auto-incrementing rowid), timestamps are timezone-aware with
microseconds. Every index exists for a query in `sql/`; the migration test fails if this file and
the migration history disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Id = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {datetime: UtcDateTime, dict[str, Any]: Json}


class WorkspaceRow(Base):
    __tablename__ = "workspaces"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class JobRow(Base):
    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    node_name: Mapped[str | None] = mapped_column(String(255))
    node_path: Mapped[str | None] = mapped_column(String(1024))
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    status_at: Mapped[datetime]
    display_name: Mapped[str] = mapped_column(String(255))
    experiment_name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    properties: Mapped[dict[str, Any]]
    compute: Mapped[str | None] = mapped_column(String(255))
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    source: Mapped[dict[str, Any]]
    plan: Mapped[dict[str, Any] | None] = mapped_column(deferred=True)
    reuse_key: Mapped[str | None] = mapped_column(String(128))
    reuse_key_parts: Mapped[dict[str, Any] | None]
    reused_from_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    archived: Mapped[bool] = mapped_column(Boolean, server_default=false())

    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        # Listing: top-level or all jobs of a workspace, newest first, archived filtered.
        Index(None, "workspace_id", "archived", "parent_id", "id"),
        Index(None, "workspace_id", "status", "id"),
        Index(None, "workspace_id", "experiment_name", "id"),
        Index(None, "parent_id", "id"),
        # Claiming and adoption scan by status across workspaces.
        Index(None, "status", "id"),
        Index(None, "workspace_id", "reuse_key"),
    )


class JobTagRow(Base):
    __tablename__ = "job_tags"
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    __table_args__ = (Index(None, "key", "job_id"),)


class JobEventRow(Base):
    __tablename__ = "job_events"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"))
    status: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None]
    __table_args__ = (Index(None, "job_id", "id"),)


class AssetRow(Base):
    __tablename__ = "assets"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(64))
    # The version as a number when it is one: what auto-increment and sorting use.
    version_number: Mapped[int | None] = mapped_column(BigInteger)
    content_hash: Mapped[str | None] = mapped_column(String(128))
    spec: Mapped[dict[str, Any]]
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[dict[str, Any]]
    archived: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(255))
    produced_by_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    produced_by_output: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (
        UniqueConstraint("workspace_id", "kind", "name", "version"),
        CheckConstraint("kind IN ('component', 'data', 'environment', 'model')", name="kind"),
        Index(None, "workspace_id", "kind", "name", "id"),
        Index(None, "produced_by_job_id"),
    )


class AssetLabelRow(Base):
    __tablename__ = "asset_labels"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255))
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"))
    __table_args__ = (
        UniqueConstraint("workspace_id", "kind", "name", "label"),
        Index(None, "asset_id"),
    )


class AssetUseRow(Base):
    __tablename__ = "asset_uses"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"))
    input_name: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime]
    __table_args__ = (
        UniqueConstraint("job_id", "asset_id", "input_name"),
        Index(None, "asset_id"),
    )


class ComputeRow(Base):
    __tablename__ = "computes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(64))
    max_instances: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(255))
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)


class DatastoreRow(Base):
    __tablename__ = "datastores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]]
    secret_blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    is_default: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(255))
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)


class MetricRow(Base):
    __tablename__ = "metrics"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"))
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[float] = mapped_column(Double)
    step: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[datetime]
    __table_args__ = (Index(None, "job_id", "key", "step"),)


class AuditRow(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str | None] = mapped_column(String(255))
    target_kind: Mapped[str] = mapped_column(String(32))
    target_name: Mapped[str] = mapped_column(String(512))
    detail: Mapped[dict[str, Any]]
    __table_args__ = (
        Index(None, "workspace", "target_kind", "target_name", "id"),
        Index(None, "actor", "id"),
    )
