"""Deciding reuse before anything is provisioned: a completed earlier step with the same reuse
key whose committed outputs are all still present with the hashes recorded when they were made.

A reused step completes at once, points at the original (`azureml.isreused`,
`azureml.reusedrunid`), and its outputs are the original's — nothing is copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.data.hashing import hash_path
from cairn.errors import CairnError

if TYPE_CHECKING:
    from cairn.plan.model import PlanStep
    from cairn.workspace.context import Workspace


@dataclass(frozen=True)
class ReuseHit:
    job_id: int
    job_name: str
    outputs: dict[str, dict[str, Any]]
    reason: str


class ReuseChecker:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def find(self, step: PlanStep, child_id: int) -> ReuseHit | None:
        if not step.is_deterministic or step.reuse is None:
            return None
        candidate = self.workspace.store.jobs.find_reusable(self.workspace.name, step.reuse.key)
        if candidate is None or candidate.id == child_id:
            return None
        outputs = dict(candidate.properties.get("outputs") or {})
        if set(outputs) != set(step.outputs) or not all(self._intact(o) for o in outputs.values()):
            return None
        return ReuseHit(candidate.id, candidate.name, outputs, f"reused from {candidate.name}")

    def _intact(self, output: dict[str, Any]) -> bool:
        path = Path(str(output.get("path", "")))
        if not path.exists():
            return False
        try:
            return hash_path(path, cache=self.workspace.stat_cache).hash == output.get("hash")
        except (CairnError, OSError):
            return False
