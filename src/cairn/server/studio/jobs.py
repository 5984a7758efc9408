"""Studio pages of jobs: the list (filters, keyset pages, live statuses) and the job page (graph,
summary, step panel), with the server-sent event streams that keep them current.

Must not: change jobs (`actions` does) or draw (`graph` and the templates do).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from cairn.errors import UsageError
from cairn.server.auth import Permission, require
from cairn.server.studio import jobdata, steps
from cairn.server.studio.deps import StudioWorkspace, page, ws_params
from cairn.server.studio.graph import draw, shape
from cairn.server.studio.templating import StudioRoute, duration, render
from cairn.server.views import input_view
from cairn.store.status import JobStatus

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from cairn.server.studio.cache import StudioCache
    from cairn.store.records import Job, Page
    from cairn.workspace.context import Workspace

router = APIRouter(route_class=StudioRoute, include_in_schema=False)
READ = [require(Permission.READ)]
PAGE_SIZE = 50
MANY_STEPS = 150
"""Above this many steps edge labels are drawn on request only: they cost more than they tell."""
POLL_S = 0.5
FIRST_POLL_S = 0.5
STEP_PATTERN = r"^[A-Za-z0-9_./-]{1,1024}$"
CURSOR = r"^j[0-9]{1,18}$"

Statuses = Annotated[list[str] | None, Query(max_length=20)]
Tags = Annotated[list[str] | None, Query(max_length=20)]
Text = Annotated[str | None, Query(max_length=200)]
Cursor = Annotated[str | None, Query(pattern=CURSOR)]
Experiment = Annotated[str | None, Query(max_length=255)]
Collapse = Annotated[list[str] | None, Query(max_length=200)]
StepQuery = Annotated[str | None, Query(pattern=STEP_PATTERN)]


@router.get("/", dependencies=READ)
def home(request: Request, workspace: StudioWorkspace) -> Response:
    default = request.app.state.cairn.settings.workspace
    params = ws_params(workspace, default)
    return RedirectResponse("/jobs" + (f"?ws={params['ws']}" if params else ""), status_code=303)


def _statuses(given: list[str] | None) -> list[JobStatus]:
    """The statuses a filter names (a form sends an empty value for "any")."""
    try:
        return [JobStatus(s) for s in given or [] if s]
    except ValueError:
        raise UsageError(
            f"unknown status in {given}", hint=f"one of: {', '.join(JobStatus)}"
        ) from None


def _list(
    workspace: Workspace,
    status: list[str] | None,
    experiment: str | None,
    tag: list[str] | None,
    q: str | None,
    cursor: str | None,
) -> Page[Job]:
    tags: dict[str, str | None] = {}
    for item in tag or []:
        key, sep, value = item.partition("=")
        if key:
            tags[key] = value if sep else None
    return workspace.store.jobs.list(
        workspace.name,
        status=_statuses(status) or None,
        experiment_name=experiment or None,
        tags=tags or None,
        text=q or None,
        limit=PAGE_SIZE,
        cursor=cursor,
    )


def _row(job: Job, at: datetime) -> dict[str, Any]:
    end = job.status_at if job.status.is_terminal else at
    return {"job": job, "duration": (end - job.created_at).total_seconds()}


@router.get("/jobs", dependencies=READ)
def job_list(
    request: Request,
    workspace: StudioWorkspace,
    status: Statuses = None,
    experiment: Experiment = None,
    tag: Tags = None,
    q: Text = None,
    cursor: Cursor = None,
) -> Response:
    found = _list(workspace, status, experiment, tag, q, cursor)
    at = jobdata.now()
    filters = {"status": [str(s) for s in _statuses(status)], "experiment": experiment, "tag": tag}
    filters["q"] = q
    return page(
        request,
        workspace,
        "jobs.html",
        title="Jobs",
        rows=[_row(job, at) for job in found.items],
        filters=filters,
        cursor=cursor,
        next_cursor=found.next_cursor,
        statuses=[str(s) for s in JobStatus],
    )


@router.get("/events/jobs", dependencies=READ)
async def job_list_live(
    request: Request,
    workspace: StudioWorkspace,
    status: Statuses = None,
    experiment: Experiment = None,
    tag: Tags = None,
    q: Text = None,
    cursor: Cursor = None,
) -> StreamingResponse:
    """Statuses of the jobs on a list page, as they change (`jobs` events)."""

    def snapshot() -> dict[str, Any]:
        found = _list(workspace, status, experiment, tag, q, cursor)
        at = jobdata.now()
        return {
            job.name: {
                "status": str(job.status),
                "duration": duration(_row(job, at)["duration"]),
            }
            for job in found.items
        }

    return _stream(request, "jobs", snapshot)


@router.get("/jobs/{name}", dependencies=READ)
def job_page(
    request: Request,
    name: str,
    workspace: StudioWorkspace,
    step: StepQuery = None,
    collapse: Collapse = None,
    labels: Annotated[str | None, Query(pattern="^(on|off)$")] = None,
) -> Response:
    cache: StudioCache = request.app.state.studio_cache
    view = jobdata.load_job(workspace.store, workspace.name, name, cache)
    at = jobdata.now()
    drawing = None
    many = len(view.steps) > MANY_STEPS
    if view.plan:
        folded = tuple(sorted(set(collapse or ())))
        laid_out = cache.shapes.get((view.job.id, folded), lambda: shape(view.plan, folded))
        drawing = draw(view.plan, view.states(at), folded, laid_out)
    panel = steps.panel_context(view, step, at) if step and step in view.steps else None
    return page(
        request,
        workspace,
        "job.html",
        title=view.job.display_name,
        view=view,
        drawing=drawing,
        collapse=collapse or [],
        selected=step,
        many=many,
        labels=labels == "on" or (labels is None and not many),
        panel=panel,
        **summary_context(view),
    )


@router.get("/jobs/{name}/summary", dependencies=READ)
def job_summary(request: Request, name: str, workspace: StudioWorkspace) -> Response:
    """The summary block alone (the page swaps it in when the job's status changes)."""
    view = jobdata.load_job(workspace.store, workspace.name, name, request.app.state.studio_cache)
    default = request.app.state.cairn.settings.workspace
    return render(
        request,
        "summary.html",
        view=view,
        ws=workspace.name,
        wsq=ws_params(workspace, default),
        **summary_context(view),
    )


def summary_context(view: jobdata.JobView) -> dict[str, Any]:
    inputs = {k: input_view(v) for k, v in dict(view.plan.get("inputs") or {}).items()}
    outputs = steps.pipeline_outputs(view)
    return {
        "timings": view.timings,
        "preparing_total": view.preparing_total(),
        "root": view.root_failure(),
        "inputs": inputs,
        "outputs": outputs,
    }


@router.get("/events/jobs/{name}", dependencies=READ)
async def job_live(request: Request, name: str, workspace: StudioWorkspace) -> StreamingResponse:
    """The job's and its steps' statuses and durations, as they change (`job` events)."""

    cache = request.app.state.studio_cache

    def snapshot() -> dict[str, Any]:
        view = jobdata.load_job(workspace.store, workspace.name, name, cache)
        return jobdata.live_payload(view, jobdata.now())

    return _stream(request, "job", snapshot, until=lambda data: bool(data.get("terminal")))


def _stream(
    request: Request,
    event: str,
    snapshot: Callable[[], dict[str, Any]],
    until: Callable[[dict[str, Any]], bool] | None = None,
) -> StreamingResponse:
    async def events() -> AsyncIterator[str]:
        last = None
        # The page was current when it was drawn: give the browser that moment to itself.
        await asyncio.sleep(FIRST_POLL_S)
        while not await request.is_disconnected():
            started = time.perf_counter()
            data = await anyio.to_thread.run_sync(snapshot)
            # A big pipeline costs more to read: poll it less often than a small one.
            pause = max(POLL_S, 4 * (time.perf_counter() - started))
            if data != last:
                last = data
                yield f"event: {event}\ndata: {json.dumps(data)}\n\n"
            if until is not None and until(data):
                yield "event: end\ndata: {}\n\n"
                return
            await asyncio.sleep(pause)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
