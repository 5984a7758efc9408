"""`/api/v1/workspaces/{workspace}/jobs`: create, list, show, wait, cancel, logs, download."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, StreamingResponse

from cairn.errors import Conflict, UsageError
from cairn.server import downloads, joblogs, views
from cairn.server.auth import Permission, require
from cairn.server.routes.deps import State, WorkspaceDep
from cairn.server.schemas import JobCreate
from cairn.server.uploads import BlobStore
from cairn.store.records import Move
from cairn.store.status import JobStatus
from cairn.workspace.jobs import submit_job

router = APIRouter(prefix="/workspaces/{name}/jobs", tags=["jobs"])

_WAIT_POLL_S = 0.5


def _detail(server: State, workspace: WorkspaceDep, job_name: str) -> dict[str, Any]:
    store = workspace.store
    job = store.jobs.get_by_name(workspace.name, job_name)
    children = store.jobs.children(job.id) if job.type == "pipeline" else []
    parent = store.jobs.get(job.parent_id).name if job.parent_id else None
    return views.job_detail(
        job,
        plan=dict(store.jobs.plan(job.id) or {}) if job.type == "pipeline" else None,
        events=store.jobs.events(job.id),
        children=children,
        children_events=store.jobs.children_events(job.id) if children else None,
        parent_name=parent,
        studio=server.settings.public_url,
    )


@router.post("", status_code=201, dependencies=[require(Permission.SUBMIT)])
def create_job(body: JobCreate, server: State, workspace: WorkspaceDep) -> dict[str, Any]:
    folder = BlobStore(server.settings.home.root).stage(body.files)
    from cairn.data.paths import confine

    entry = confine(folder, body.entry)
    submission = submit_job(
        workspace,
        entry,
        overrides=body.set,
        name=body.name,
        experiment_name=body.experiment_name,
        display_name=body.display_name,
        force_rerun=body.force_rerun,
        default_experiment_name=body.default_experiment_name,
        source=dict(body.source) or None,
    )
    engine = server.engine_for(workspace.name)
    if engine is not None:
        engine.wake(submission.job.id, submission.plan)
    warnings = [d.to_dict() for d in submission.report.diagnostics.warnings]
    if body.brief:
        job = submission.job
        return {"name": job.name, "status": str(job.status), "warnings": warnings}
    detail = _detail(server, workspace, submission.job.name)
    detail["warnings"] = warnings
    return detail


@router.post("/{job_name}/rerun", status_code=201, dependencies=[require(Permission.SUBMIT)])
def rerun(job_name: str, server: State, workspace: WorkspaceDep) -> dict[str, Any]:
    """The same plan again under a new name: completed steps are reused."""
    from cairn.workspace.jobs import rerun_job

    job = rerun_job(workspace, job_name)
    engine = server.engine_for(workspace.name)
    if engine is not None:
        engine.wake()
    return _detail(server, workspace, job.name)


@router.get("/{job_name}/steps/{step:path}/launch", dependencies=[require(Permission.SUBMIT)])
def step_launch_spec(
    job_name: str, step: str, workspace: WorkspaceDep, local_dir: str
) -> dict[str, Any]:
    """The launcher's instructions to run one step again in `local_dir` (`job run-step`)."""
    from cairn.server.run_step import step_spec

    return step_spec(workspace, job_name, step, local_dir)


@router.get("/{job_name}/steps/{step:path}/reuse", dependencies=[require(Permission.READ)])
def explain_reuse(job_name: str, step: str, workspace: WorkspaceDep) -> dict[str, Any]:
    """A step's reuse key, part by part, beside the nearest earlier candidate's."""
    from cairn.server.reuse_view import explain

    return explain(workspace, job_name, step)


@router.get("", dependencies=[require(Permission.READ)])
def list_jobs(
    workspace: WorkspaceDep,
    max_results: Annotated[int, Query(ge=1, le=1000)] = 50,
    status: Annotated[list[JobStatus] | None, Query()] = None,
    experiment_name: str | None = None,
    tag: Annotated[list[str] | None, Query(description="key or key=value")] = None,
    parent_job_name: str | None = None,
    archived: Annotated[str, Query(pattern="^(exclude|only|include)$")] = "exclude",
    cursor: Annotated[
        str | None, Query(pattern=r"^j[0-9]{1,18}$", description="a `next_cursor`, unchanged")
    ] = None,
) -> dict[str, Any]:
    store = workspace.store
    tags: dict[str, str | None] = {}
    for item in tag or []:
        key, sep, value = item.partition("=")
        tags[key] = value if sep else None
    parent_id = None
    parent_name = None
    if parent_job_name:
        parent = store.jobs.get_by_name(workspace.name, parent_job_name)
        parent_id, parent_name = parent.id, parent.name
    page = store.jobs.list(
        workspace.name,
        status=status or None,
        experiment_name=experiment_name,
        tags=tags or None,
        parent_id=parent_id,
        archived={"exclude": False, "only": True, "include": None}[archived],
        limit=max_results,
        cursor=cursor,
    )
    return {
        "value": [views.job_summary(j, parent_name) for j in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get("/{job_name}", dependencies=[require(Permission.READ)])
def show_job(job_name: str, server: State, workspace: WorkspaceDep) -> dict[str, Any]:
    return _detail(server, workspace, job_name)


@router.get("/{job_name}/wait", dependencies=[require(Permission.READ)])
def wait_job(
    job_name: str,
    server: State,
    workspace: WorkspaceDep,
    timeout: Annotated[float, Query(ge=0, le=600)] = 30.0,
) -> dict[str, Any]:
    """Return when the job is terminal, or after `timeout` seconds (long poll). The status is
    read again each time this server's engine commits; at least every `_WAIT_POLL_S` for a job
    another server's engine runs."""
    store = workspace.store
    job = store.jobs.get_by_name(workspace.name, job_name)
    engine = server.engine_for(workspace.name) if not job.status.is_terminal else None
    deadline = time.monotonic() + timeout
    while not job.status.is_terminal and (left := deadline - time.monotonic()) > 0:
        if engine is not None:
            engine.wait_for_commit(min(left, _WAIT_POLL_S))
        else:
            time.sleep(min(left, _WAIT_POLL_S / 5))
        job = store.jobs.get(job.id)
    return {"name": job.name, "status": str(job.status), "terminal": job.status.is_terminal}


@router.post("/{job_name}/cancel", dependencies=[require(Permission.SUBMIT)])
def cancel_job(job_name: str, server: State, workspace: WorkspaceDep) -> dict[str, Any]:
    store = workspace.store
    job = store.jobs.get_by_name(workspace.name, job_name)
    if job.status.is_terminal:
        raise Conflict(f"job {job.name} is already {job.status}")
    if job.parent_id is not None:
        raise UsageError(
            f"{job.name} is a step of a pipeline; cancel the pipeline job",
            hint=f"cairn job cancel --name {store.jobs.get(job.parent_id).name}",
        )
    if job.status in (JobStatus.NOT_STARTED, JobStatus.QUEUED) and job.lease_owner is None:
        store.jobs.apply(_cancel_unclaimed(store, job.id), actor=workspace.actor)
    elif job.status is not JobStatus.CANCEL_REQUESTED:
        store.jobs.transition(
            job.id, JobStatus.CANCEL_REQUESTED, reason="cancel requested", actor=workspace.actor
        )
    engine = server.engine_for(workspace.name)
    if engine is not None:
        engine.request_cancel(job.id)
    return views.job_summary(store.jobs.get(job.id))


def _cancel_unclaimed(store: Any, job_id: int) -> list[Move]:
    moves = [
        Move(c.id, JobStatus.CANCELED, reason="the job was canceled")
        for c in store.jobs.children(job_id)
        if not c.status.is_terminal
    ]
    moves.append(Move(job_id, JobStatus.CANCELED, reason="canceled before it started"))
    return moves


@router.post("/{job_name}/archive", dependencies=[require(Permission.SUBMIT)])
def archive_job(job_name: str, workspace: WorkspaceDep) -> dict[str, Any]:
    job = workspace.store.jobs.get_by_name(workspace.name, job_name)
    return views.job_summary(workspace.store.jobs.set_archived(job.id, True, actor=workspace.actor))


@router.post("/{job_name}/restore", dependencies=[require(Permission.SUBMIT)])
def restore_job(job_name: str, workspace: WorkspaceDep) -> dict[str, Any]:
    job = workspace.store.jobs.get_by_name(workspace.name, job_name)
    return views.job_summary(
        workspace.store.jobs.set_archived(job.id, False, actor=workspace.actor)
    )


@router.get("/{job_name}/logs", dependencies=[require(Permission.READ)], response_model=None)
def job_logs(
    job_name: str,
    workspace: WorkspaceDep,
    follow: bool = False,
    step: str | None = None,
) -> PlainTextResponse | StreamingResponse:
    store = workspace.store
    job = store.jobs.get_by_name(workspace.name, job_name)
    if not follow:
        return PlainTextResponse(joblogs.full_text(store, job, step))
    return StreamingResponse(
        joblogs.follow(store, job.id, step=step),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/{job_name}/download", dependencies=[require(Permission.READ)])
def download_job(
    job_name: str,
    server: State,
    workspace: WorkspaceDep,
    output_name: str | None = None,
    all: bool = False,
) -> StreamingResponse:
    store = workspace.store
    job = store.jobs.get_by_name(workspace.name, job_name)
    if not job.status.is_terminal:
        raise Conflict(f"job {job.name} is {job.status}; outputs download once it has ended")
    archive = downloads.build_archive(
        store, job, server.settings.home.cache / "downloads", output_name, all
    )
    return StreamingResponse(
        downloads.stream_file(Path(archive)),
        media_type="application/x-tar",
        headers={"Content-Disposition": f'attachment; filename="{job.name}.tar"'},
    )
