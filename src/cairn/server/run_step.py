"""`job run-step`: the launcher's instructions for one step of an earlier job, with the exact
inputs (the committed outputs its upstream steps produced then), code snapshot and environment
it ran with — and its outputs (`committed/`) and artifacts (`artifacts/`) kept in the caller's
folder instead of being committed."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.engine.launching import Materializer, launch_spec
from cairn.errors import NotFound, UsageError
from cairn.plan.model import Plan

if TYPE_CHECKING:
    from cairn.workspace.context import Workspace


def step_spec(workspace: Workspace, job_name: str, step: str, folder: str) -> dict[str, Any]:
    store = workspace.store
    job = store.jobs.get_by_name(workspace.name, job_name)
    raw = store.jobs.plan(job.id)
    if raw is None:
        raise UsageError(f"{job_name} is not a pipeline job; name the pipeline and --step")
    plan = Plan.from_json(dict(raw))
    if step not in plan.steps:
        raise NotFound(
            f"job {job_name} has no step `{step}`", hint="steps: " + ", ".join(plan.steps)
        )
    target = Path(folder)
    if not target.is_absolute():
        raise UsageError("--local-dir must be an absolute path")
    children = {c.node_path: c for c in store.jobs.children(job.id)}
    upstream: dict[str, dict[str, dict[str, Any]]] = {}
    for dep in plan.steps[step].depends_on:
        outputs = dict((children[dep].properties.get("outputs") or {}) if dep in children else {})
        if not outputs:
            raise UsageError(
                f"step `{dep}` (an input of `{step}`) has no committed outputs in {job_name}",
                hint="run-step needs the outputs its upstream steps produced",
            )
        upstream[dep] = outputs
    materializer = Materializer(workspace.catalog(), workspace.home)
    spec = launch_spec(
        plan.steps[step],
        target,
        upstream,
        materializer,
        grace=5.0,
        log_cap_bytes=100 * 1024 * 1024,
        notify=None,
        attempt=1,
    )
    original = spec.artifacts.path if spec.artifacts else None
    artifacts = spec.artifacts and dataclasses.replace(
        spec.artifacts, path=str(target / "artifacts")
    )
    kept = [
        dataclasses.replace(
            o,
            commit_to=artifacts.path
            if artifacts and o.commit_to == original
            else str(target / "committed" / o.name),
        )
        for o in spec.outputs
    ]
    return dataclasses.asdict(dataclasses.replace(spec, outputs=kept, artifacts=artifacts))
