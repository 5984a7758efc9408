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
from cairn.plan.model import DataSource
from cairn.spec.entities.model import MODEL_TYPES
from cairn.spec.entities.pipeline import PipelineJob
from cairn.spec.validate import validate_job_file
from cairn.store.names import job_name as generate_name
from cairn.store.records import AssetKind, NewJob
from cairn.workspace.lookups import WorkspaceLookups
from cairn.workspace.validity import require_valid

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from cairn.plan.model import Plan, PlanStep
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
    source: Mapping[str, Any] | None = None,
    default_experiment_name: str | None = None,
) -> Submission:
    """`cairn job create --file`: the job is `Queued` when this returns.

    `experiment_name` defaults to the YAML's, else (as Azure names it after the folder the
    command runs in) the name of the file's folder; a caller that knows the user's working
    folder passes its name. `source` replaces what `source_info(file)` finds (a server that
    received the files knows the user's file and commit better than its staging folder does).
    """
    report = validate_job_file(file, overrides)
    require_valid(report, "job")
    job = report.entity
    if not isinstance(job, PipelineJob) or report.scope is None:
        raise Unsupported(
            f"{report.file} is a {report.kind}; Cairn runs pipeline jobs",
            hint="put the command job under `jobs:` of a `type: pipeline` file",
        )
    lookups = WorkspaceLookups(workspace)
    experiment = (
        experiment_name
        or job.experiment_name
        or default_experiment_name
        or default_experiment(file.resolve().parent)
    )
    name = name or job.name
    origin = dict(source) if source is not None else source_info(file)
    for _ in range(8):
        candidate = name or generate_name()
        plan = compile_plan(
            job, report.scope, lookups, job_name=candidate, experiment_name=experiment
        )
        plan = _adjust(
            plan, force_rerun=force_rerun, display_name=display_name, experiment=experiment
        )
        try:
            parent = _create(workspace, plan, origin)
        except Conflict:
            if name is not None:
                raise
            continue
        return Submission(parent, plan, report)
    raise Conflict("could not find a free job name after 8 tries")


def rerun_job(workspace: Workspace, name: str, *, new_name: str | None = None) -> Job:
    """`cairn job rerun`: the same plan again (same inputs, same code snapshots) under a new
    name; completed steps are reused, failed, canceled and downstream steps run."""
    from cairn.plan.model import Plan
    from cairn.plan.rename import renamed

    store = workspace.store
    earlier = store.jobs.get_by_name(workspace.name, name)
    raw = store.jobs.plan(earlier.id) if earlier.parent_id is None else None
    if raw is None:
        raise Unsupported(
            f"{name} is not a pipeline job; rerun the pipeline it belongs to",
            hint=f"cairn job rerun --name {store.jobs.get(earlier.parent_id).name}"
            if earlier.parent_id
            else None,
        )
    plan = Plan.from_json(dict(raw))
    source = {**dict(earlier.source), "rerun_of": earlier.name}
    for _ in range(8):
        candidate = new_name or generate_name()
        try:
            return _create(workspace, renamed(plan, candidate), source)
        except Conflict:
            if new_name is not None:
                raise
    raise Conflict("could not find a free job name after 8 tries")


def default_experiment(folder: Path) -> str:
    """Azure's default experiment name: the folder's name without its last suffix or spaces
    (`Path(".").resolve().stem.replace(" ", "")`), else `Default`."""
    return folder.stem.replace(" ", "") or "Default"


def _adjust(plan: Plan, *, force_rerun: bool, display_name: str | None, experiment: str) -> Plan:
    """What the caller says beats the file: `--force`, `--display-name`, `--experiment-name`."""
    update: dict[str, Any] = {"experiment_name": experiment}
    if force_rerun:
        update["settings"] = plan.settings.model_copy(update={"force_rerun": True})
    if display_name:
        update["display_name"] = display_name
    return plan.model_copy(update=update)


def _create(workspace: Workspace, plan: Plan, source: Mapping[str, Any]) -> Job:
    """The job and its steps, `Queued`, in one transaction (a submission that fails half-way
    leaves nothing behind); then the lineage of the registered assets its steps read."""
    store = workspace.store
    tags = {k: v for k, v in plan.tags.items() if v is not None}
    compute = plan.settings.default_compute
    parent, child_ids = store.jobs.create_pipeline(
        workspace.name,
        NewJob(
            type="pipeline",
            name=plan.job_name,
            display_name=plan.display_name,
            experiment_name=plan.experiment_name,
            description=plan.description,
            tags=tags,
            properties={k: v for k, v in plan.properties.items() if v is not None},
            compute=compute.removeprefix("azureml:") if compute else None,
            source=source,
            plan=plan.to_json(),
        ),
        [
            NewJob(
                type=step.kind,
                name=step.name,
                display_name=step.display_name,
                experiment_name=plan.experiment_name,
                compute=step.compute,
                node_name=step.node,
                node_path=step.id,
                # A force_rerun job's steps are never offered for reuse later (Azure's rule);
                # their key parts stay, so explanations can still compare against them.
                reuse_key=step.reuse.key if step.reuse and not plan.settings.force_rerun else None,
                reuse_key_parts=step.reuse.parts if step.reuse else None,
            )
            for step in plan.steps.values()
        ],
        actor=workspace.actor,
    )
    for child_id, step in zip(child_ids, plan.steps.values(), strict=True):
        _record_asset_uses(workspace, child_id, step)
    return parent


def _record_asset_uses(workspace: Workspace, child_id: int, step: PlanStep) -> None:
    """Lineage: the registered data and model versions each step reads."""
    for input_name, source in step.inputs.items():
        if not isinstance(source, DataSource) or source.asset is None:
            continue
        kind = AssetKind.MODEL if source.type in MODEL_TYPES else AssetKind.DATA
        asset = workspace.store.assets.resolve(workspace.name, kind, source.asset)
        workspace.store.assets.record_use(child_id, asset.id, input_name, actor=workspace.actor)


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
