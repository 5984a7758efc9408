"""What the studio's job pages show, read from the store in a few queries: the job, its plan,
each step's status, timings and reuse, the root failure, and the graph's live state.

Owns: reading and shaping; every page and event stream of a job starts here. Must not: render
HTML or change anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.launcher.protocol import STD_LOG, USER_LOGS
from cairn.server.studio.graph import StepState
from cairn.server.studio.templating import duration
from cairn.store.records import JobTimings, job_timings
from cairn.store.status import JobStatus

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from cairn.server.studio.cache import StudioCache
    from cairn.store import Store
    from cairn.store.records import Job, JobEvent

TAIL_LINES = 20


@dataclass(frozen=True)
class StepView:
    id: str
    job: Job
    events: tuple[JobEvent, ...]
    timings: JobTimings
    plan: Mapping[str, Any]

    @property
    def status(self) -> str:
        return str(self.job.status)

    @property
    def reused(self) -> bool:
        return self.job.reused_from_id is not None or bool(
            self.job.properties.get("azureml.isreused")
        )

    @property
    def display_name(self) -> str:
        return str(self.plan.get("display_name") or self.job.display_name)

    def elapsed(self, now: datetime) -> float | None:
        """Run time so far (running), or in all (ended)."""
        if self.reused:
            return 0.0
        started = next((e.at for e in self.events if e.status is JobStatus.RUNNING), None)
        if self.job.status in (JobStatus.RUNNING, JobStatus.FINALIZING) and started is not None:
            return (now - started).total_seconds()
        if self.job.status.is_terminal:
            return self.timings.running_s if self.timings.running_s is not None else None
        return None

    def state(self, now: datetime) -> StepState:
        seconds = self.elapsed(now)
        return StepState(self.status, "" if seconds is None else duration(seconds), self.reused)

    def why(self) -> str:
        """Why the step ran or was reused, in the words `cairn job show` uses."""
        recorded = self.job.properties.get("cairn.reuse")
        if isinstance(recorded, dict) and recorded.get("explanation"):
            return str(recorded["explanation"])
        if self.reused:
            source = self.job.properties.get("azureml.reusedrunid") or "an earlier run"
            reason = next((e.reason for e in self.events if e.status is JobStatus.COMPLETED), None)
            return reason if reason and reason.startswith("reused") else f"reused from {source}"
        if self.job.status in (JobStatus.NOT_STARTED, JobStatus.QUEUED):
            return "not started yet"
        if not self.plan.get("is_deterministic", True):
            return "ran: is_deterministic is false"
        return "ran: no earlier run with this key"


@dataclass(frozen=True)
class JobView:
    job: Job
    plan: Mapping[str, Any]
    events: tuple[JobEvent, ...]
    steps: dict[str, StepView]
    parent_name: str | None

    @property
    def timings(self) -> JobTimings:
        return job_timings(self.events)

    def ended(self) -> bool:
        """The job and all its steps have ended: nothing in this view changes any more."""
        return self.job.status.is_terminal and all(
            s.job.status.is_terminal for s in self.steps.values()
        )

    def states(self, now: datetime) -> dict[str, StepState]:
        return {step_id: step.state(now) for step_id, step in self.steps.items()}

    def preparing_total(self) -> float | None:
        found = [s.timings.preparing_s for s in self.steps.values() if s.timings.preparing_s]
        return sum(found) if found else None

    def root_failure(self) -> dict[str, Any] | None:
        """The step that failed first, its reason and its last log lines."""
        recorded = self.job.properties.get("root_failure")
        if isinstance(recorded, dict) and recorded.get("root_failure"):
            found = dict(recorded)
        else:
            failed = [s for s in self.steps.values() if s.job.status is JobStatus.FAILED]
            if not failed:
                return None
            first = min(failed, key=lambda s: (s.job.status_at, s.job.id))
            found = {
                "root_failure": first.id,
                "root_failure_job": first.job.name,
                "reason": first.job.properties.get("reason"),
                "message": first.job.properties.get("message"),
                "log_tail": first.job.properties.get("log_tail"),
            }
        step = self.steps.get(str(found["root_failure"]))
        if not found.get("log_tail") and step is not None:
            found["log_tail"] = log_tail(step.job)
        return found


def load_job(store: Store, workspace: str, name: str, cache: StudioCache | None = None) -> JobView:
    """A job and its steps; `cache` keeps the (frozen) plan between calls."""
    job = store.jobs.get_by_name(workspace, name)
    kept = cache.ended.peek(job.id) if cache is not None else None
    if isinstance(kept, JobView) and kept.job == job:
        return kept
    parent_name = store.jobs.get(job.parent_id).name if job.parent_id else None
    if job.type != "pipeline":
        return JobView(job, {}, tuple(store.jobs.events(job.id)), {}, parent_name)
    plan = (
        cache.plans.get(job.id, lambda: dict(store.jobs.plan(job.id) or {}))
        if cache is not None
        else dict(store.jobs.plan(job.id) or {})
    )
    planned: Mapping[str, Any] = plan.get("steps") or {}
    events = store.jobs.children_events(job.id)
    steps = {}
    for child in store.jobs.children(job.id):
        step_id = child.node_path or child.node_name or child.name
        own = tuple(events.get(child.id, ()))
        steps[step_id] = StepView(step_id, child, own, job_timings(own), planned.get(step_id) or {})
    view = JobView(job, plan, tuple(store.jobs.events(job.id)), steps, parent_name)
    if cache is not None and view.ended():
        cache.ended.put(job.id, view)
    return view


def now() -> datetime:
    return datetime.now(UTC)


def log_path(job: Job) -> Path | None:
    workdir = job.properties.get("workdir")
    return Path(str(workdir)) / USER_LOGS / STD_LOG if workdir else None


def log_tail(job: Job, lines: int = TAIL_LINES, max_bytes: int = 1 << 16) -> list[str]:
    """The last `lines` lines of a step's log (reading at most `max_bytes` from its end)."""
    path = log_path(job)
    if path is None:
        return []
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            end = handle.tell()
            handle.seek(max(0, end - max_bytes))
            text = handle.read().decode(errors="replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]


def live_payload(view: JobView, at: datetime) -> dict[str, Any]:
    """What the job page's event stream sends: the job's status and each step's state."""
    return {
        "job": view.job.name,
        "status": str(view.job.status),
        "terminal": view.job.status.is_terminal,
        "steps": {
            step_id: {"status": s.status, "detail": s.duration, "reused": s.reused}
            for step_id, s in view.states(at).items()
        },
    }


def ordered_events(events: Sequence[JobEvent]) -> list[JobEvent]:
    return sorted(events, key=lambda e: (e.at, e.id))
