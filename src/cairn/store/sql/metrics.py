"""Metrics logged by jobs: (key, value, step, timestamp) points, inserted in batches.

A batch is one multi-row INSERT in one transaction with one audit row, so a training loop that
logs a few hundred points per call costs one commit, not hundreds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlalchemy import insert, select

from cairn.errors import UsageError
from cairn.store.models import MetricRow
from cairn.store.records import Metric, MetricPoint
from cairn.store.sql import convert
from cairn.store.sql.base import SqlBase, require_actor
from cairn.store.sql.job_rows import job_row

MAX_BATCH = 10_000


class SqlMetricStore(SqlBase):
    def log(self, job_id: int, points: Sequence[MetricPoint], *, actor: str) -> int:
        """Insert `points` for job `job_id` in one transaction; returns how many were stored."""
        require_actor(actor)
        if len(points) > MAX_BATCH:
            raise UsageError(f"at most {MAX_BATCH} metric points per batch, got {len(points)}")
        for point in points:
            if not point.key or not math.isfinite(point.value):
                raise UsageError(f"metric {point.key!r} needs a key and a finite value")
        if not points:
            return 0
        with self.db.write() as session:
            job = job_row(session, job_id)
            now = self.db.now()
            values = [
                {
                    "job_id": job_id,
                    "key": p.key,
                    "value": float(p.value),
                    "step": p.step,
                    "timestamp": p.timestamp or now,
                }
                for p in points
            ]
            session.execute(insert(MetricRow), values)
            self.audit(
                session,
                actor=actor,
                action="metrics.log",
                workspace=job.workspace_id,
                target_kind="job",
                target_name=job.name,
                detail={
                    "job_id": job_id,
                    "points": len(points),
                    "keys": sorted({p.key for p in points}),
                },
            )
            return len(points)

    def history(self, job_id: int, key: str) -> list[Metric]:
        """Every point of `key`, by step then insertion order."""
        with self.db.read() as session:
            query = (
                select(MetricRow)
                .where(MetricRow.job_id == job_id, MetricRow.key == key)
                .order_by(MetricRow.step, MetricRow.id)
            )
            return [convert.metric(row) for row in session.scalars(query)]

    def latest(self, job_id: int) -> dict[str, Metric]:
        """For each key, the point with the highest step (the last logged on a tie)."""
        with self.db.read() as session:
            keys = sorted(
                session.scalars(select(MetricRow.key).where(MetricRow.job_id == job_id).distinct())
            )
            result: dict[str, Metric] = {}
            for key in keys:
                query = (
                    select(MetricRow)
                    .where(MetricRow.job_id == job_id, MetricRow.key == key)
                    .order_by(MetricRow.step.desc(), MetricRow.id.desc())
                    .limit(1)
                )
                row = session.scalar(query)
                if row is not None:
                    result[key] = convert.metric(row)
            return result

    def keys(self, job_id: int) -> list[str]:
        with self.db.read() as session:
            query = select(MetricRow.key).where(MetricRow.job_id == job_id).distinct()
            return sorted(session.scalars(query))
