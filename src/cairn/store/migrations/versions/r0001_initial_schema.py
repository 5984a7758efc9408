"""Initial schema: workspaces, jobs and their events/tags, assets, computes, datastores, metrics,
audit log; seeds the `default` workspace.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# Frozen copies of the column types in models.py as they were at this revision.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
NAME = sa.String(length=255)


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, primary_key=True)


def _workspace_fk() -> sa.Column[int]:
    return sa.Column("workspace_id", sa.Integer(), sa.ForeignKey("workspaces.id"), nullable=False)


def _job_fk(name: str = "job_id", *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, ID, sa.ForeignKey("jobs.id"), nullable=nullable)


def _stamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, TS, nullable=nullable)


def upgrade() -> None:
    _create_workspaces()
    _create_jobs()
    _create_assets()
    _create_resources()
    _create_metrics_and_audit()


def _create_workspaces() -> None:
    workspaces = op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", NAME, nullable=False, unique=True),
        sa.Column("description", sa.Text()),
        _stamp("created_at"),
    )
    op.bulk_insert(
        workspaces,
        [{"name": "default", "description": "The default workspace", "created_at": _now()}],
    )


def _now() -> datetime:
    # SQLite stores naive UTC (see models.UtcDateTime); PostgreSQL keeps the zone.
    now = datetime.now(UTC)
    return now.replace(tzinfo=None) if op.get_bind().dialect.name == "sqlite" else now


def _create_jobs() -> None:
    op.create_table(
        "jobs",
        _id(),
        _workspace_fk(),
        sa.Column("name", NAME, nullable=False),
        _job_fk("parent_id", nullable=True),
        sa.Column("node_name", NAME),
        sa.Column("node_path", sa.String(length=1024)),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        _stamp("status_at"),
        sa.Column("display_name", NAME, nullable=False),
        sa.Column("experiment_name", NAME, nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("properties", JSON, nullable=False),
        sa.Column("compute", NAME),
        sa.Column("created_by", NAME, nullable=False),
        _stamp("created_at"),
        sa.Column("source", JSON, nullable=False),
        sa.Column("plan", JSON),
        sa.Column("reuse_key", sa.String(length=128)),
        sa.Column("reuse_key_parts", JSON),
        _job_fk("reused_from_id", nullable=True),
        sa.Column("lease_owner", NAME),
        _stamp("lease_expires_at", nullable=True),
        _stamp("heartbeat_at", nullable=True),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.UniqueConstraint("workspace_id", "name"),
    )
    for columns in (
        ["workspace_id", "archived", "parent_id", "id"],
        ["workspace_id", "status", "id"],
        ["workspace_id", "experiment_name", "id"],
        ["parent_id", "id"],
        ["status", "id"],
        ["workspace_id", "reuse_key"],
    ):
        op.create_index(op.f(f"ix_jobs_{'_'.join(columns)}"), "jobs", columns)

    op.create_table(
        "job_tags",
        sa.Column("job_id", ID, sa.ForeignKey("jobs.id"), primary_key=True),
        sa.Column("key", NAME, primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_index(op.f("ix_job_tags_key_job_id"), "job_tags", ["key", "job_id"])

    op.create_table(
        "job_events",
        _id(),
        _job_fk(),
        sa.Column("status", sa.String(length=32), nullable=False),
        _stamp("at"),
        sa.Column("reason", sa.Text()),
        sa.Column("detail", JSON),
    )
    op.create_index(op.f("ix_job_events_job_id_id"), "job_events", ["job_id", "id"])


def _create_assets() -> None:
    op.create_table(
        "assets",
        _id(),
        _workspace_fk(),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("version_number", sa.BigInteger()),
        sa.Column("content_hash", sa.String(length=128)),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        _stamp("created_at"),
        sa.Column("created_by", NAME, nullable=False),
        _job_fk("produced_by_job_id", nullable=True),
        sa.Column("produced_by_output", NAME),
        sa.UniqueConstraint("workspace_id", "kind", "name", "version"),
        sa.CheckConstraint("kind IN ('component', 'data', 'environment', 'model')", name="kind"),
    )
    op.create_index(
        op.f("ix_assets_workspace_id_kind_name_id"),
        "assets",
        ["workspace_id", "kind", "name", "id"],
    )
    op.create_index(op.f("ix_assets_produced_by_job_id"), "assets", ["produced_by_job_id"])

    op.create_table(
        "asset_labels",
        _id(),
        _workspace_fk(),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("label", NAME, nullable=False),
        sa.Column("asset_id", ID, sa.ForeignKey("assets.id"), nullable=False),
        sa.UniqueConstraint("workspace_id", "kind", "name", "label"),
    )
    op.create_index(op.f("ix_asset_labels_asset_id"), "asset_labels", ["asset_id"])

    op.create_table(
        "asset_uses",
        _id(),
        _job_fk(),
        sa.Column("asset_id", ID, sa.ForeignKey("assets.id"), nullable=False),
        sa.Column("input_name", NAME, nullable=False),
        _stamp("at"),
        sa.UniqueConstraint("job_id", "asset_id", "input_name"),
    )
    op.create_index(op.f("ix_asset_uses_asset_id"), "asset_uses", ["asset_id"])


def _create_resources() -> None:
    op.create_table(
        "computes",
        sa.Column("id", sa.Integer(), primary_key=True),
        _workspace_fk(),
        sa.Column("name", NAME, nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("max_instances", sa.Integer(), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        _stamp("created_at"),
        sa.Column("created_by", NAME, nullable=False),
        sa.UniqueConstraint("workspace_id", "name"),
    )
    op.create_table(
        "datastores",
        sa.Column("id", sa.Integer(), primary_key=True),
        _workspace_fk(),
        sa.Column("name", NAME, nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("secret_blob", sa.LargeBinary()),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
        _stamp("created_at"),
        sa.Column("created_by", NAME, nullable=False),
        sa.UniqueConstraint("workspace_id", "name"),
    )


def _create_metrics_and_audit() -> None:
    op.create_table(
        "metrics",
        _id(),
        _job_fk(),
        sa.Column("key", NAME, nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        _stamp("timestamp"),
    )
    op.create_index(op.f("ix_metrics_job_id_key_step"), "metrics", ["job_id", "key", "step"])

    op.create_table(
        "audit_log",
        _id(),
        _stamp("at"),
        sa.Column("actor", NAME, nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("workspace", NAME),
        sa.Column("target_kind", sa.String(length=32), nullable=False),
        sa.Column("target_name", sa.String(length=512), nullable=False),
        sa.Column("detail", JSON, nullable=False),
    )
    op.create_index(
        op.f("ix_audit_log_workspace_target_kind_target_name_id"),
        "audit_log",
        ["workspace", "target_kind", "target_name", "id"],
    )
    op.create_index(op.f("ix_audit_log_actor_id"), "audit_log", ["actor", "id"])


def downgrade() -> None:
    for table in (
        "audit_log",
        "metrics",
        "datastores",
        "computes",
        "asset_uses",
        "asset_labels",
        "assets",
        "job_events",
        "job_tags",
        "jobs",
        "workspaces",
    ):
        op.drop_table(table)
