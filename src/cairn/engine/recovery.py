"""Taking over a job: what the engine holds for it, rebuilt from the store and the step folders,
and repairs of what an engine that stopped or died mid-way left half-done.

Owns: `HeldJob` (a job as the loop works on it), `load_held` (from the store, for a fresh job or
one adopted from a dead engine alike), `complete_reuse_records` (a reuse whose outputs were never
recorded), `launcher_mark` (a phase a launcher reached while no engine listened), and
`owner_is_gone` (a lease owner on this host whose process is dead).
Must not: decide anything about a step's future (the scheduler does) or signal processes.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.launcher.protocol import EVENTS
from cairn.plan.model import Plan
from cairn.store.status import JobStatus

if TYPE_CHECKING:
    from cairn.store import Store
    from cairn.store.records import Job

S = JobStatus


@dataclass
class HeldJob:
    """A job an engine holds: its plan, its steps' child jobs, and what they produced."""

    job: Job
    plan: Plan
    child_ids: dict[str, int]
    statuses: dict[str, JobStatus]
    outputs: dict[str, dict[str, dict[str, Any]]]
    workdirs: dict[str, Path] = field(default_factory=dict)
    reused_from: dict[str, int] = field(default_factory=dict)


def load_held(store: Store, job: Job, plan: Plan | None = None) -> HeldJob | None:
    """The job as stored now (None when it has no plan). `plan`: the job's plan as submitted,
    when the submission handed it over (the stored one is the same, read back and parsed)."""
    if plan is None or plan.job_name != job.name:
        raw = store.jobs.plan(job.id)
        if raw is None:
            return None
        plan = Plan.from_json(dict(raw))
    children = {c.node_path or c.node_name or "": c for c in store.jobs.children(job.id)}
    mine = {sid: children[sid] for sid in plan.steps if sid in children}
    held = HeldJob(
        job=job,
        plan=plan,
        child_ids={sid: child.id for sid, child in mine.items()},
        statuses={sid: child.status for sid, child in mine.items()},
        outputs={
            sid: dict(child.properties.get("outputs") or {})
            for sid, child in mine.items()
            if child.status is S.COMPLETED
        },
    )
    for sid, child in mine.items():
        if child.properties.get("workdir"):
            held.workdirs[sid] = Path(str(child.properties["workdir"]))
        if child.reused_from_id is not None:
            held.reused_from[sid] = child.reused_from_id
    return held


def complete_reuse_records(store: Store, held: HeldJob, actor: str) -> None:
    """Record the outputs of reused steps that were marked reused without them.

    A reuse takes two writes (the outputs, then the link and `Completed`); engines before this
    order wrote them the other way round, and one that died in between left a `Completed` step
    without outputs, which its consumers could never read. The outputs are the original's."""
    for sid, source_id in held.reused_from.items():
        if held.statuses.get(sid) is not S.COMPLETED or held.outputs.get(sid):
            continue
        source = store.jobs.get(source_id)
        outputs = dict(source.properties.get("outputs") or {})
        store.jobs.update(
            held.child_ids[sid],
            properties={
                "outputs": outputs,
                "azureml.isreused": "true",
                "azureml.reusedrunid": source.name,
            },
            actor=actor,
        )
        held.outputs[sid] = outputs


def launcher_mark(workdir: Path, event: str) -> float | None:
    """When the step's launcher marked `event` in its timeline (None: not yet, or unreadable).

    The launcher also sends each mark to the engine's socket, but a mark sent while no engine
    listened (one died, the next was starting) is only in this file."""
    try:
        lines = (workdir / EVENTS).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        try:
            mark = json.loads(line)
        except ValueError:
            continue  # a line cut short by a launcher that died while writing it
        if isinstance(mark, dict) and mark.get("event") == event:
            at = mark.get("at")
            return float(at) if isinstance(at, int | float) else None
    return None


def owner_is_gone(owner: str) -> bool:
    """An owner id `host:pid:…` of this host whose process no longer exists: its leases can be
    taken over at once instead of waiting for them to expire."""
    host, _, rest = owner.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
