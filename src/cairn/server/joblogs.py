"""Job logs: the whole text, or followed live as server-sent events.

A pipeline's log interleaves its steps' `user_logs/std_log.txt`, each line prefixed by the step.
Following ends when the job is terminal and every log has been read to its end.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from cairn.launcher.protocol import STD_LOG, USER_LOGS

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cairn.store import Store
    from cairn.store.records import Job


def step_logs(store: Store, job: Job) -> list[tuple[str, Path]]:
    """(step id, log file) for a job: its children's logs, or its own for a step job."""
    jobs = store.jobs.children(job.id) if job.type == "pipeline" else [job]
    found = []
    for child in jobs:
        workdir = child.properties.get("workdir")
        if workdir:
            found.append((child.node_path or child.name, Path(str(workdir)) / USER_LOGS / STD_LOG))
    return found


def full_text(store: Store, job: Job, step: str | None = None) -> str:
    parts: list[str] = []
    for step_id, path in step_logs(store, job):
        if step is not None and step_id != step:
            continue
        try:
            text = path.read_text(errors="replace")
        except FileNotFoundError:
            continue
        prefix = f"[{step_id}] " if job.type == "pipeline" and step is None else ""
        parts.extend(prefix + line for line in text.splitlines())
    return "\n".join(parts) + ("\n" if parts else "")


def follow(
    store: Store, job_id: int, *, poll: float = 0.2, step: str | None = None
) -> Iterator[str]:
    """Server-sent events: `log` (step, line), `status` (job and step statuses), then `end`."""
    offsets: dict[Path, int] = {}
    partial: dict[Path, str] = {}
    last_status: dict[str, str] = {}
    while True:
        job = store.jobs.get(job_id)
        statuses = {job.name: str(job.status)}
        if job.type == "pipeline":
            statuses.update(
                {c.node_path or c.name: str(c.status) for c in store.jobs.children(job.id)}
            )
        if statuses != last_status:
            last_status = statuses
            yield _event("status", {"job": job.name, "status": str(job.status), "steps": statuses})
        for step_id, path in step_logs(store, job):
            if step is not None and step_id != step:
                continue
            yield from _new_lines(step_id, path, offsets, partial)
        if job.status.is_terminal:
            for step_id, path in step_logs(store, job):
                yield from _new_lines(step_id, path, offsets, partial, final=True)
            yield _event("end", {"job": job.name, "status": str(job.status)})
            return
        time.sleep(poll)


def _new_lines(
    step_id: str,
    path: Path,
    offsets: dict[Path, int],
    partial: dict[Path, str],
    final: bool = False,
) -> Iterator[str]:
    try:
        with path.open("rb") as handle:
            handle.seek(offsets.get(path, 0))
            data = handle.read(1 << 20)
            offsets[path] = handle.tell()
    except FileNotFoundError:
        return
    text = partial.pop(path, "") + data.decode(errors="replace")
    lines = text.split("\n")
    if not final:
        partial[path] = lines.pop()
    for line in lines:
        if line:
            yield _event("log", {"step": step_id, "line": line})


def _event(kind: str, data: object) -> str:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"
