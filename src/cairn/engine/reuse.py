"""Deciding reuse before anything is provisioned, and saying why.

A step is reused when its component is deterministic, the job is not `force_rerun`, and a
completed earlier step with the same reuse key has all its committed outputs still present with
the hashes recorded when they were made. A reused step completes at once, points at the original
(`azureml.isreused`, `azureml.reusedrunid`), and its outputs are the original's — nothing is
copied. Every decision comes with one line of explanation (`cairn.plan.explain`); when a step
runs, it is compared with the nearest earlier run of the same step to name what changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.data.hashing import hash_path
from cairn.errors import CairnError
from cairn.plan.explain import Difference, compare, ran_because

if TYPE_CHECKING:
    from cairn.plan.model import PlanStep
    from cairn.store.records import Job
    from cairn.workspace.context import Workspace


@dataclass(frozen=True)
class ReuseHit:
    job_id: int
    job_name: str
    outputs: dict[str, dict[str, Any]]
    reason: str


@dataclass(frozen=True)
class Decision:
    hit: ReuseHit | None
    explanation: str
    candidate: str | None = None

    def record(self) -> dict[str, Any]:
        return {
            "decision": "reused" if self.hit else "ran",
            "explanation": self.explanation,
            "candidate": self.candidate,
        }


class ReuseChecker:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def decide(
        self, step: PlanStep, child_id: int, parent_id: int, *, force_rerun: bool
    ) -> Decision:
        if force_rerun:
            return Decision(None, "ran: force_rerun")
        if not step.is_deterministic:
            return Decision(None, "ran: is_deterministic is false")
        if step.reuse is None:
            return Decision(None, "ran: no reuse key")
        store = self.workspace.store
        candidate = store.jobs.find_reusable(self.workspace.name, step.reuse.key)
        if candidate is not None and candidate.id != child_id:
            outputs = dict(candidate.properties.get("outputs") or {})
            damage = self._damage(outputs, set(step.outputs))
            if damage is None:
                where = _step_label(candidate)
                hit = ReuseHit(candidate.id, candidate.name, outputs, f"reused from {where}")
                return Decision(hit, f"reused from {where}", candidate.name)
            return Decision(
                None, f"ran: earlier outputs missing or altered ({damage})", candidate.name
            )
        previous, differences = nearest(
            step.reuse.parts,
            store.jobs.previous_runs(self.workspace.name, step.id, not_under=parent_id),
        )
        if previous is None:
            return Decision(None, "ran: no earlier run with this key")
        if differences and differences[0].part == "code":
            changed = self._changed_file(step.reuse.parts, dict(previous.reuse_key_parts or {}))
            return Decision(
                None,
                f"ran: code changed ({changed})" if changed else "ran: code changed",
                previous.name,
            )
        return Decision(None, ran_because(differences), previous.name)

    def _damage(self, outputs: dict[str, dict[str, Any]], wanted: set[str]) -> str | None:
        """What is missing or altered among an earlier step's outputs (`name/file`), or None."""
        for name in sorted(wanted - set(outputs)):
            return name
        for name, output in sorted(outputs.items()):
            path = Path(str(output.get("path", "")))
            if not path.exists():
                return name
            try:
                tree = hash_path(path, cache=self.workspace.stat_cache)
            except (CairnError, OSError):
                return name
            if tree.hash == output.get("hash"):
                continue
            manifest: dict[str, str] = output.get("manifest") or {}
            now = {f.path: f.hash for f in tree.files} if tree.is_dir else {path.name: tree.hash}
            for file in sorted(set(manifest) | set(now)):
                if manifest.get(file) != now.get(file):
                    return f"{name}/{file}"
            return name
        return None

    def _changed_file(self, new: dict[str, Any], old: dict[str, Any]) -> str | None:
        """The first file that differs between two code snapshots (both stored by content)."""
        snapshots = self.workspace.folder / "snapshots"
        trees = []
        for parts in (new, old):
            code = parts.get("code")
            folder = snapshots / str(code).split(":", 1)[-1] if code else None
            if folder is None or not folder.is_dir():
                return None
            trees.append(
                {f.path: f.hash for f in hash_path(folder, cache=self.workspace.stat_cache).files}
            )
        now, before = trees
        for file in sorted(set(now) | set(before)):
            if now.get(file) != before.get(file):
                return file
        return None


def nearest(parts: dict[str, Any], runs: list[Job]) -> tuple[Job | None, list[Difference]]:
    """The earlier run whose key parts differ least from `parts` (newest first on ties)."""
    best: tuple[Job | None, list[Difference]] = (None, [])
    for run in runs:
        if not run.reuse_key_parts:
            continue
        differences = compare(parts, dict(run.reuse_key_parts))
        if best[0] is None or len(differences) < len(best[1]):
            best = (run, differences)
    return best


def _step_label(job: Job) -> str:
    """`<pipeline job>/<step>` from a step job's name (`<pipeline>.<step path with dots>`)."""
    path = job.node_path or job.node_name or ""
    dotted = "." + path.replace("/", ".")
    if path and job.name.endswith(dotted):
        return f"{job.name[: -len(dotted)]}/{path}"
    return job.name
