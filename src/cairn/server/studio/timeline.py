"""The timeline of a pipeline job: a Gantt chart of its steps' queued, preparing, running and
finalizing phases, the critical path (the chain of dependencies that ended last) and the idle
slots (stretches in which no step was preparing, running or finalizing).

Owns: the chart's geometry (`chart`) and its page. Must not: read logs or change anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from cairn.server.auth import Permission, require
from cairn.server.studio import jobdata
from cairn.server.studio.deps import StudioWorkspace, page
from cairn.server.studio.templating import StudioRoute, duration
from cairn.store.status import JobStatus

if TYPE_CHECKING:
    from datetime import datetime

router = APIRouter(route_class=StudioRoute, include_in_schema=False)

PHASES = {
    JobStatus.QUEUED: "queued",
    JobStatus.PREPARING: "preparing",
    JobStatus.RUNNING: "running",
    JobStatus.FINALIZING: "finalizing",
    JobStatus.CANCEL_REQUESTED: "running",
}
BUSY = frozenset({"preparing", "running", "finalizing"})
LABEL_W = 240.0
CHART_W = 860.0
ROW_H = 22.0
AXIS_H = 28.0


@dataclass(frozen=True, slots=True)
class Bar:
    phase: str
    x: float
    width: float
    seconds: float


@dataclass(frozen=True, slots=True)
class Row:
    step: str
    label: str
    status: str
    critical: bool
    y: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    rows: tuple[Row, ...]
    ticks: tuple[tuple[float, str], ...]
    idle: tuple[tuple[float, float, float], ...]
    """(x, width, seconds) of each idle stretch."""
    critical: tuple[str, ...]
    span_s: float
    width: float
    height: float


def _segments(step: jobdata.StepView, at: datetime) -> list[tuple[str, datetime, datetime]]:
    events = jobdata.ordered_events(step.events)
    found = []
    for i, event in enumerate(events):
        phase = PHASES.get(event.status)
        if phase is None:
            continue
        end = events[i + 1].at if i + 1 < len(events) else at
        found.append((phase, event.at, end))
    return found


def _critical_path(view: jobdata.JobView, ends: dict[str, datetime]) -> list[str]:
    if not ends:
        return []
    current: str | None = max(ends, key=lambda s: ends[s])
    path = []
    while current is not None:
        path.append(current)
        upstream = [d for d in view.steps[current].plan.get("depends_on") or [] if d in ends]
        current = max(upstream, key=lambda s: ends[s]) if upstream else None
    return path[::-1]


def _idle(busy: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> list[Any]:
    gaps = []
    cursor = start
    for begin, finish in sorted(busy):
        if begin > cursor:
            gaps.append((cursor, begin))
        cursor = max(cursor, finish)
    if end > cursor:
        gaps.append((cursor, end))
    return gaps


def chart(view: jobdata.JobView, at: datetime) -> Chart:
    segments = {step_id: _segments(s, at) for step_id, s in view.steps.items()}
    starts = [seg[1] for segs in segments.values() for seg in segs]
    parent_events = jobdata.ordered_events(view.events)
    origin = min([*starts, *(e.at for e in parent_events[:1])], default=at)
    finish = max([seg[2] for segs in segments.values() for seg in segs], default=origin)
    span = max((finish - origin).total_seconds(), 1e-3)
    scale = CHART_W / span

    def x_of(moment: datetime) -> float:
        return LABEL_W + (moment - origin).total_seconds() * scale

    ends = {sid: segs[-1][2] for sid, segs in segments.items() if segs}
    critical = _critical_path(view, ends)
    rows = []
    for i, (step_id, step) in enumerate(view.steps.items()):
        bars = tuple(
            Bar(p, x_of(a), max((b - a).total_seconds() * scale, 1.0), (b - a).total_seconds())
            for p, a, b in segments[step_id]
        )
        rows.append(
            Row(
                step_id,
                step.display_name,
                step.status,
                step_id in critical,
                AXIS_H + i * ROW_H,
                bars,
            )
        )
    busy = [(a, b) for segs in segments.values() for p, a, b in segs if p in BUSY]
    idle = tuple(
        (x_of(a), (b - a).total_seconds() * scale, (b - a).total_seconds())
        for a, b in _idle(busy, origin, finish)
        if (b - a).total_seconds() >= span / 100
    )
    ticks = tuple((LABEL_W + CHART_W * k / 6, duration(span * k / 6)) for k in range(7))
    height = AXIS_H + ROW_H * len(rows) + 8
    return Chart(tuple(rows), ticks, idle, tuple(critical), span, LABEL_W + CHART_W + 60, height)


@router.get("/jobs/{name}/timeline", dependencies=[require(Permission.READ)])
def timeline_page(request: Request, name: str, workspace: StudioWorkspace) -> Response:
    view = jobdata.load_job(workspace.store, workspace.name, name, request.app.state.studio_cache)
    return page(
        request,
        workspace,
        "timeline.html",
        title=f"{view.job.display_name} timeline",
        view=view,
        chart=chart(view, jobdata.now()),
    )
