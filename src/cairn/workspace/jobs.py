"""Submitting a job: validate the file, compile its plan against the workspace, and store the
parent job with one child per step, ready for the engine to claim.

The parent is created `NotStarted`, its children next, and only then is the parent `Queued`, so
an engine never claims a job whose steps are not all recorded.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import Conflict, Unsupported
from cairn.plan.compile import compile_plan
from cairn.spec.entities.pipeline import PipelineJob
from cairn.spec.validate import validate_job_file
from cairn.store.names import job_name as generate_name
from cairn.store.records import NewJob
from cairn.store.status import JobStatus
from cairn.workspace.lookups import WorkspaceLookups
from cairn.workspace.validity import require_valid

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cairn.plan.model import Plan
    from cairn.spec.validate import ValidationReport
    from cairn.store.records import Job
    from cairn.workspace.context import Workspace


@dataclass(frozen=True)
class Submission:
    job: Job
    plan: Plan
    report: ValidationReport


def submit_job(
    workspace: Workspace,
    file: Path,
    *,
    overrides: Sequence[str] = (),
    name: str | None = None,
    experiment_name: str | None = None,
    display_name: str | None = None,
    force_rerun: bool = False,
) -> Submission:
    """`cairn job create --file`: the job is `Queued` when this returns."""
    report = validate_job_file(file, overrides)
    require_valid(report, "job")
    job = report.entity
    if not isinstance(job, PipelineJob) or report.scope is None:
        raise Unsupported(
            f"{report.file} is a {report.kind}; Cairn runs pipeline jobs",
            hint="put the command job under `jobs:` of a `type: pipeline` file",
        )
    lookups = WorkspaceLookups(workspace)
    experiment = experiment_name or job.experiment_name or file.resolve().parent.name or "Default"
    for _ in range(8):
        candidate = name or generate_name()
        plan = compile_plan(
            job, report.scope, lookups, job_name=candidate, experiment_name=experiment
        )
        if force_rerun or display_name:
            plan = _adjust(plan, force_rerun=force_rerun, display_name=display_name)
        try:
            parent = _create(workspace, plan, file)
        except Conflict:
            if name is not None:
                raise
            continue
        return Submission(parent, plan, report)
    raise Conflict("could not find a free job name after 8 tries")


def _adjust(plan: Plan, *, force_rerun: bool, display_name: str | None) -> Plan:
    update: dict[str, Any] = {}
    if force_rerun:
        update["settings"] = plan.settings.model_copy(update={"force_rerun": True})
    if display_name:
        update["display_name"] = display_name
    return plan.model_copy(update=update)


def _create(workspace: Workspace, plan: Plan, file: Path) -> Job:
    store = workspace.store
    tags = {k: v for k, v in plan.tags.items() if v is not None}
    parent = store.jobs.create(
        workspace.name,
        NewJob(
            type="pipeline",
            name=plan.job_name,
            display_name=plan.display_name,
            experiment_name=plan.experiment_name,
            description=plan.description,
            tags=tags,
            properties={k: v for k, v in plan.properties.items() if v is not None},
            compute=plan.settings.default_compute,
            source=source_info(file),
            plan=plan.to_json(),
        ),
        actor=workspace.actor,
    )
    store.jobs.create_children(
        parent.id,
        [
            NewJob(
                type=step.kind,
                name=step.name,
                display_name=step.display_name,
                experiment_name=plan.experiment_name,
                compute=step.compute,
                node_name=step.node,
                node_path=step.id,
                reuse_key=step.reuse.key if step.reuse else None,
                reuse_key_parts=step.reuse.parts if step.reuse else None,
            )
            for step in plan.steps.values()
        ],
        actor=workspace.actor,
    )
    return store.jobs.transition(
        parent.id, JobStatus.QUEUED, reason="submitted", actor=workspace.actor
    )


def source_info(file: Path) -> dict[str, Any]:
    """Where the job came from: the file and, when it lies in a git repository, the commit."""
    info: dict[str, Any] = {"file": str(file.resolve())}
    try:
        result = subprocess.run(
            ["git", "-C", str(file.resolve().parent), "rev-parse", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return info
    if result.returncode == 0:
        info["commit"] = result.stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(file.resolve().parent), "status", "--porcelain", "--", "."],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        info["dirty"] = bool(status.stdout.strip())
    return info
