"""The engine's store writes, gathered and committed together.

Step writes (queued, launched, running, ended, reused) wait up to `LAZY_SECONDS` for company, so
busy pipelines commit many steps per transaction and a live view lags by at most that much; a
job's own start and end, and cancels, are committed at once. Nothing here is needed for
correctness after a crash: a restarted engine rebuilds every step from its folder (spec, lock,
record) and the store, so unwritten step writes are redone, never lost. If the store refuses a
batch (a status moved on under this engine), it is applied job by job and the jobs that fail are
handed back for a reload.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cairn.errors import Conflict

if TYPE_CHECKING:
    from cairn.store import Store
    from cairn.store.records import Move

LAZY_SECONDS = 0.05


@dataclass
class _Group:
    moves: list[Move] = field(default_factory=list)
    properties: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class PendingWrites:
    store: Store
    actor: str
    _groups: dict[int, _Group] = field(default_factory=dict)
    _urgent: bool = False
    _since: float | None = None
    urgent_batches: int = 0  # batches with a job's start, end or cancel, committed so far

    def add(
        self,
        job_id: int,
        moves: Sequence[Move] = (),
        properties: Mapping[int, Mapping[str, Any]] | None = None,
        *,
        lazy: bool = False,
    ) -> None:
        """Queue writes that belong to the pipeline job `job_id`."""
        if not moves and not properties:
            return
        group = self._groups.setdefault(job_id, _Group())
        group.moves.extend(moves)
        for target, patch in (properties or {}).items():
            group.properties.setdefault(target, {}).update(patch)
        if not lazy:
            self._urgent = True
        if self._since is None:
            self._since = time.monotonic()

    def discard(self, job_id: int) -> None:
        """Forget what was queued for a job this engine no longer holds."""
        self._groups.pop(job_id, None)

    def due_in(self) -> float | None:
        """Seconds until the pending writes must be committed (None: nothing pending)."""
        if self._since is None:
            return None
        if self._urgent:
            return 0.0
        return max(0.0, self._since + LAZY_SECONDS - time.monotonic())

    def flush(self, *, force: bool = True) -> list[int]:
        """Commit what is pending (lazy writes only when `force` or due); returns the jobs whose
        writes the store refused."""
        if not self._groups or (not force and (self.due_in() or 0.0) > 0.0):
            return []
        groups, self._groups = self._groups, {}
        self.urgent_batches += self._urgent
        self._urgent, self._since = False, None
        moves = [m for g in groups.values() for m in g.moves]
        properties = {k: v for g in groups.values() for k, v in g.properties.items()}
        try:
            self.store.jobs.apply(
                moves, properties=properties or None, actor=self.actor, load=False
            )
            return []
        except Conflict:
            if len(groups) == 1:
                return list(groups)
        refused = []
        for job_id, group in groups.items():
            try:
                self.store.jobs.apply(
                    group.moves, properties=group.properties or None, actor=self.actor
                )
            except Conflict:
                refused.append(job_id)
        return refused
