"""The step panel and what hangs off it: inputs and outputs with their hashes and downloads, the
rendered command, environment and compute, the code snapshot browser, the log tail (live, and
searchable over the whole log).

Every path a request names (a file in a snapshot or an output folder) goes through
`cairn.data.paths.confine` under the root the store recorded; nothing else is ever opened.
Must not: change anything.
"""

from __future__ import annotations

import asyncio
import json
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request
from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse

from cairn.data.paths import confine
from cairn.errors import CairnError, NotFound, UsageError
from cairn.launcher.protocol import SPEC, LaunchSpec
from cairn.server import downloads
from cairn.server.auth import Permission, require
from cairn.server.studio import jobdata
from cairn.server.studio.deps import StudioWorkspace, page
from cairn.server.studio.templating import StudioRoute
from cairn.spec.command import render_command

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from datetime import datetime

router = APIRouter(route_class=StudioRoute, include_in_schema=False)
READ = [require(Permission.READ)]
STEP = Annotated[str, Query(pattern=r"^[A-Za-z0-9_./-]{1,1024}$")]
RelPath = Annotated[str, Query(max_length=4096)]
LISTED_FILES = 50
SHOWN_BYTES = 256 * 1024
SEARCH_HITS = 2000
TAIL = 200


def panel_context(view: jobdata.JobView, step_id: str, at: datetime) -> dict[str, Any]:
    step = view.steps[step_id]
    return {
        "step": step,
        "elapsed": step.elapsed(at),
        "history": jobdata.ordered_events(step.events),
        "inputs": _inputs(view, step),
        "outputs": _outputs(step),
        "command": rendered_command(step),
        "environment": step.plan.get("environment") or {},
        "code": step.plan.get("code"),
        "why": step.why(),
        "tail": jobdata.log_tail(step.job, TAIL),
    }


def _inputs(view: jobdata.JobView, step: jobdata.StepView) -> list[dict[str, Any]]:
    shown = []
    for name, source in (step.plan.get("inputs") or {}).items():
        entry: dict[str, Any] = {"name": name, "kind": source.get("kind"), "source": source}
        if source.get("kind") == "step_output":
            upstream = view.steps.get(str(source.get("step")))
            committed = (
                (upstream.job.properties.get("outputs") or {}).get(source.get("output"))
                if upstream
                else None
            )
            entry["committed"] = committed or {}
        shown.append(entry)
    return shown


def _outputs(step: jobdata.StepView) -> list[dict[str, Any]]:
    committed = step.job.properties.get("outputs") or {}
    shown = []
    for name, dest in (step.plan.get("outputs") or {}).items():
        found = committed.get(name) or {}
        entry = {"name": name, "dest": dest, "committed": found, "files": []}
        path = Path(str(found["path"])) if found.get("path") else None
        if path is not None and path.is_dir():
            entry["files"] = _some_files(path)
        shown.append(entry)
    return shown


def _some_files(root: Path) -> list[dict[str, Any]]:
    """The first `LISTED_FILES` files of an output folder, in name order, reading no further."""
    found: list[dict[str, Any]] = []
    folders = [root]
    while folders and len(found) < LISTED_FILES:
        folder = folders.pop(0)
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
        for path in entries:
            if path.is_symlink():
                continue
            if path.is_dir():
                folders.append(path)
            elif len(found) < LISTED_FILES:
                rel = path.relative_to(root).as_posix()
                found.append({"path": rel, "size": path.stat().st_size})
    return found


def pipeline_outputs(view: jobdata.JobView) -> list[dict[str, Any]]:
    """The pipeline's own outputs: where they are bound and, once committed, their content."""
    shown = []
    for name, dest in (view.plan.get("outputs") or {}).items():
        producer = next(
            (
                (step_id, out)
                for step_id, s in view.steps.items()
                for out, d in (s.plan.get("outputs") or {}).items()
                if d.get("pipeline_output") == name
            ),
            None,
        )
        committed: dict[str, Any] = {}
        if producer is not None:
            child = view.steps[producer[0]].job
            committed = (child.properties.get("outputs") or {}).get(producer[1]) or {}
        shown.append({"name": name, "dest": dest, "producer": producer, "committed": committed})
    return shown


def rendered_command(step: jobdata.StepView) -> str:
    """The command as the step ran it (values shell-quoted in place, as logs show it)."""
    workdir = step.job.properties.get("workdir")
    try:
        if workdir and (Path(str(workdir)) / SPEC).is_file():
            spec = LaunchSpec.from_json((Path(str(workdir)) / SPEC).read_text())
            values = {i.name: i.value if i.value is not None else i.path for i in spec.inputs}
            outputs = {o.name: o.commit_to for o in spec.outputs}
            return render_command(spec.command, values, outputs).display
        values = {}
        for name, source in (step.plan.get("inputs") or {}).items():
            kind = source.get("kind")
            values[name] = (
                source.get("value")
                if kind == "literal"
                else source.get("uri")
                if kind == "data"
                else f"<{source.get('step')}.{source.get('output')}>"
            )
        outputs = {n: str(d.get("uri")) for n, d in (step.plan.get("outputs") or {}).items()}
        return render_command(str(step.plan.get("command", "")), values, outputs).display
    except (CairnError, OSError, ValueError, TypeError):
        return str(step.plan.get("command", ""))


def _step(request: Request, workspace: Any, name: str, step_id: str) -> jobdata.StepView:
    cache = request.app.state.studio_cache
    view = jobdata.load_job(workspace.store, workspace.name, name, cache)
    if step_id not in view.steps:
        raise NotFound(f"job {name} has no step {step_id}")
    return view.steps[step_id]


@router.get("/jobs/{name}/panel", dependencies=READ)
def step_panel(request: Request, name: str, step: STEP, workspace: StudioWorkspace) -> Response:
    """The step panel alone (the job page swaps it in when a node is clicked)."""
    view = jobdata.load_job(workspace.store, workspace.name, name, request.app.state.studio_cache)
    if step not in view.steps:
        raise NotFound(f"job {name} has no step {step}")
    context = panel_context(view, step, jobdata.now())
    return page(request, workspace, "panel.html", view=view, panel=context)


@router.get("/jobs/{name}/log", dependencies=READ)
def step_log(
    request: Request,
    name: str,
    step: STEP,
    workspace: StudioWorkspace,
    q: Annotated[str, Query(max_length=200)] = "",
) -> PlainTextResponse:
    """A step's whole log, or (with `q`) its lines that contain `q`, numbered."""
    path = jobdata.log_path(_step(request, workspace, name, step).job)
    if path is None or not path.is_file():
        return PlainTextResponse("")
    if not q:
        return PlainTextResponse(path.read_text(errors="replace"))
    needle = q.lower()
    hits = []
    with path.open(errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if needle in line.lower():
                hits.append(f"{number}: {line.rstrip()}")
                if len(hits) >= SEARCH_HITS:
                    break
    return PlainTextResponse("\n".join(hits) + ("\n" if hits else ""))


@router.get("/events/jobs/{name}/log", dependencies=READ)
async def step_log_live(
    request: Request, name: str, step: STEP, workspace: StudioWorkspace
) -> StreamingResponse:
    """New lines of a step's log as they are written (`lines` events), until the step ends."""
    start = await anyio.to_thread.run_sync(lambda: _step(request, workspace, name, step))
    path = jobdata.log_path(start.job)
    offset = path.stat().st_size if path is not None and path.is_file() else 0

    async def events() -> AsyncIterator[str]:
        nonlocal offset, path
        pending = ""
        while not await request.is_disconnected():
            # Only the step's own row: cheap however big the pipeline is.
            current = await anyio.to_thread.run_sync(workspace.store.jobs.get, start.job.id)
            path = jobdata.log_path(current) or path
            data = b""
            if path is not None and path.is_file():
                with path.open("rb") as handle:
                    handle.seek(offset)
                    data = handle.read(1 << 20)
                    offset = handle.tell()
            text = pending + data.decode(errors="replace")
            lines = text.split("\n")
            pending = lines.pop()
            if lines:
                yield f"event: lines\ndata: {json.dumps(lines)}\n\n"
            if current.status.is_terminal and not data:
                yield "event: end\ndata: {}\n\n"
                return
            await asyncio.sleep(0.5)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


@router.get("/jobs/{name}/code", dependencies=READ)
def code_browser(
    request: Request, name: str, step: STEP, workspace: StudioWorkspace, path: RelPath = ""
) -> Response:
    """The step's code snapshot: a folder listing, or one file's text."""
    found = _step(request, workspace, name, step)
    code = found.plan.get("code") or {}
    root = Path(str(code.get("location") or ""))
    if not code or not root.is_dir():
        raise NotFound(f"step {step} has no code snapshot on this server")
    target = confine(root, path) if path else root.resolve()
    context: dict[str, Any] = {"view_job": name, "step": found, "code": code, "path": path}
    if target.is_dir():
        entries = sorted(target.iterdir(), key=lambda p: (not p.is_dir(), p.name))
        context["entries"] = [
            {
                "name": e.name,
                "path": e.relative_to(root.resolve()).as_posix(),
                "dir": e.is_dir(),
                "size": e.stat().st_size if e.is_file() else None,
            }
            for e in entries
            if not e.is_symlink()
        ]
    elif target.is_file():
        raw = target.open("rb").read(SHOWN_BYTES + 1)
        context["text"] = None if b"\x00" in raw else raw[:SHOWN_BYTES].decode(errors="replace")
        context["truncated"] = len(raw) > SHOWN_BYTES
    else:
        raise NotFound(f"no file {path} in the snapshot")
    return page(request, workspace, "code.html", title=f"{step} code", **context)


@router.get("/jobs/{name}/download", dependencies=READ)
def download_output(
    request: Request,
    name: str,
    step: STEP,
    output: Annotated[str, Query(max_length=255)],
    workspace: StudioWorkspace,
    path: RelPath = "",
) -> Response:
    """One committed output of a step (a file, a folder as a tar), or one file inside it."""
    found = _step(request, workspace, name, step)
    committed = (found.job.properties.get("outputs") or {}).get(output)
    if not committed or not committed.get("path"):
        raise NotFound(f"step {step} has no committed output {output}")
    root = Path(str(committed["path"]))
    if path:
        if not root.is_dir():
            raise UsageError(f"output {output} is a file; download it without a path")
        target = confine(root, path)
        if not target.is_file():
            raise NotFound(f"no file {path} in output {output}")
        return FileResponse(target, filename=target.name, content_disposition_type="attachment")
    if root.is_file():
        return FileResponse(root, filename=root.name, content_disposition_type="attachment")
    if not root.is_dir():
        raise NotFound(f"output {output} of step {step} is no longer on this server")
    folder = workspace.home.cache / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.NamedTemporaryFile(dir=folder, suffix=".tar", delete=False) as handle,
        tarfile.open(fileobj=handle, mode="w") as archive,
    ):
        archive.add(root, arcname=output)
    return StreamingResponse(
        downloads.stream_file(Path(handle.name)),
        media_type="application/x-tar",
        headers={"Content-Disposition": f'attachment; filename="{output}.tar"'},
    )
