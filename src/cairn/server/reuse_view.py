"""`job explain-reuse`: a step's reuse key part by part, beside the candidate it was compared
with (the step it was reused from, or the nearest earlier run of the same step)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.errors import NotFound
from cairn.plan.explain import compare

if TYPE_CHECKING:
    from cairn.store.records import Job
    from cairn.workspace.context import Workspace


def explain(workspace: Workspace, job_name: str, step: str) -> dict[str, Any]:
    store = workspace.store
    job = store.jobs.get_by_name(workspace.name, job_name)
    children = {c.node_path or c.node_name: c for c in store.jobs.children(job.id)}
    child = children.get(step)
    if child is None:
        raise NotFound(
            f"job {job_name} has no step `{step}`",
            hint="steps: " + ", ".join(sorted(str(k) for k in children)),
        )
    decision = dict(child.properties.get("cairn.reuse") or {})
    candidate = _candidate(workspace, child, decision.get("candidate"), job.id)
    parts = dict(child.reuse_key_parts or {})
    other = dict(candidate.reuse_key_parts or {}) if candidate is not None else None
    return {
        "job": job.name,
        "step": step,
        "step_job": child.name,
        "status": str(child.status),
        "decision": decision.get("decision"),
        "explanation": decision.get("explanation"),
        "key": child.reuse_key,
        "parts": parts,
        "candidate": None
        if candidate is None
        else {"job": candidate.name, "key": candidate.reuse_key, "parts": other},
        "differences": [
            {"part": d.part, "name": d.name, "old": d.old, "new": d.new, "sentence": d.sentence()}
            for d in (compare(parts, other) if other is not None else [])
        ],
    }


def _candidate(workspace: Workspace, child: Job, name: Any, parent_id: int) -> Job | None:
    store = workspace.store
    if isinstance(name, str) and name:
        try:
            found = store.jobs.get_by_name(workspace.name, name)
        except NotFound:
            found = None
        if found is not None:
            return found
    from cairn.engine.reuse import nearest

    runs = store.jobs.previous_runs(workspace.name, child.node_path or "", not_under=parent_id)
    return nearest(dict(child.reuse_key_parts or {}), runs)[0]
