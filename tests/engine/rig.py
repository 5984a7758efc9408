"""A real engine for tests: a Cairn home in a temporary folder, its SQLite store, a local executor
and the engine loop in a thread, plus the look-ups the pipeline tests make (steps by scoped id,
event timelines, processes a step left behind).

Nothing is mocked: steps are real launcher processes, outputs are committed into the home's
datastore folders, and every status change goes through the store.
"""

from __future__ import annotations

import os
import textwrap
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cairn.data.hashing import hash_path
from cairn.engine.loop import Engine, EngineConfig
from cairn.executors.local import LocalExecutor
from cairn.home import Home
from cairn.store import Job, JobEvent, JobStatus, open_store, sqlite_url
from cairn.workspace.context import Workspace
from cairn.workspace.jobs import submit_job

S = JobStatus
# Every environment in these pipelines maps to the engine's own interpreter.
ENV = "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest"
JOB_TIMEOUT = 60.0


class Rig:
    """One Cairn home with an engine running on it (start with `start()`, end with `close()`)."""

    def __init__(self, root: Path, *, grace: float = 1.0) -> None:
        self.root = root
        self.home = Home(root / "home").ensure()
        self.store = open_store(sqlite_url(self.home.database))
        self.workspace = Workspace(self.home, self.store, actor="tester")
        self.grace = grace
        self.executor: LocalExecutor | None = None
        self.engine: Engine | None = None
        self._thread: threading.Thread | None = None

    def write(self, name: str, text: str) -> Path:
        """Write a file of the test's project (YAML, scripts) and return its path."""
        path = self.root / "project" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    def start(self) -> Engine:
        """Start the engine (after creating the computes a test needs)."""
        self.executor = LocalExecutor(self.home.run / "executor.sock")
        self.engine = Engine(
            self.workspace,
            self.executor,
            EngineConfig(grace=self.grace, poll_interval=0.2, claim_interval=0.2),
        )
        self._thread = threading.Thread(target=self.engine.run, name="engine", daemon=True)
        self._thread.start()
        return self.engine

    def stop_engine(self) -> None:
        """Stop the engine as a server shutting down would (running steps keep running)."""
        if self.engine is not None and self._thread is not None:
            self.engine.stop()
            self._thread.join(10)
            assert not self._thread.is_alive(), "the engine did not stop"
        if self.executor is not None:
            self.executor.close()
        self.engine = self.executor = self._thread = None

    def close(self) -> None:
        self.stop_engine()
        self.workspace.close()
        self.store.close()

    # -- jobs ---------------------------------------------------------------------------------

    def submit(self, file: Path, overrides: Sequence[str] = ()) -> int:
        job_id = submit_job(self.workspace, file, overrides=overrides).job.id
        if self.engine is not None:
            self.engine.wake()
        return job_id

    def wait(self, job_id: int, timeout: float = JOB_TIMEOUT) -> Job:
        """The job once it is terminal (fails the test after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.store.jobs.get(job_id)
            if job.status.is_terminal:
                return job
            time.sleep(0.02)
        states = {k: str(v.status) for k, v in self.steps(job_id).items()}
        raise AssertionError(f"job {job_id} did not end within {timeout} s: {states}")

    def run(self, file: Path, overrides: Sequence[str] = (), timeout: float = JOB_TIMEOUT) -> Job:
        return self.wait(self.submit(file, overrides), timeout)

    def steps(self, job_id: int) -> dict[str, Job]:
        """The job's step jobs by scoped step id (`outer/inner/node`)."""
        return {c.node_path or c.node_name or "": c for c in self.store.jobs.children(job_id)}

    def events(self, job_id: int) -> list[JobEvent]:
        return self.store.jobs.events(job_id)

    def wait_for_status(
        self, job_id: int, step: str, statuses: Iterable[JobStatus], timeout: float = 30.0
    ) -> Job:
        wanted = set(statuses)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            child = self.steps(job_id)[step]
            if child.status in wanted:
                return child
            time.sleep(0.02)
        raise AssertionError(f"step {step} did not reach {sorted(wanted)} within {timeout} s")


def workdir(step: Job) -> Path:
    return Path(str(step.properties["workdir"]))


def std_log(step: Job) -> str:
    return (workdir(step) / "user_logs" / "std_log.txt").read_text()


def assert_outputs_committed(step: Job) -> None:
    """Every output the step records exists at its path with the content hash recorded."""
    outputs = step.properties.get("outputs") or {}
    for name, output in outputs.items():
        path = Path(str(output["path"]))
        assert path.exists(), f"{step.node_path}: output {name} missing at {path}"
        assert hash_path(path).hash == output["hash"], f"{step.node_path}: {name} hash differs"


def assert_monotonic(events: Sequence[JobEvent]) -> None:
    times = [e.at for e in events]
    assert times == sorted(times), f"event times go backwards: {events}"


@dataclass(frozen=True)
class Span:
    """When a step held its slots: from `Preparing` to its terminal event."""

    step: str
    start: datetime
    end: datetime


def slot_spans(rig: Rig, job_id: int) -> list[Span]:
    spans = []
    for sid, child in rig.steps(job_id).items():
        events = rig.events(child.id)
        starts = [e.at for e in events if e.status is S.PREPARING]
        ends = [e.at for e in events if e.status.is_terminal]
        if starts and ends:
            spans.append(Span(sid, starts[0], ends[-1]))
    return spans


def max_overlap(intervals: Iterable[tuple[float, float, int]]) -> int:
    """The most weight held at once, over (start, end, weight) intervals (an end at the same
    instant as a start frees its weight first)."""
    points: list[tuple[float, int]] = []
    for start, end, weight in intervals:
        points.append((start, weight))
        points.append((end, -weight))
    held = most = 0
    for _, delta in sorted(points, key=lambda p: (p[0], p[1])):
        held += delta
        most = max(most, held)
    return most


def survivors(prefix: Path) -> list[tuple[int, str]]:
    """Live (not zombie) processes of any step under `prefix`: (pid, their CAIRN_WORKDIR)."""
    found = []
    needle = b"\0CAIRN_WORKDIR=" + os.fsencode(prefix)
    with os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                state = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[0]
                environ = b"\0" + Path(entry.path, "environ").read_bytes()
            except OSError:
                continue
            at = environ.find(needle)
            if state != "Z" and at >= 0:
                end = environ.find(b"\0", at + 1)
                found.append((int(entry.name), os.fsdecode(environ[at + 15 : end])))
    return found


def wait_until_gone(prefix: Path, timeout: float) -> list[tuple[int, str]]:
    """Wait up to `timeout` for every step process under `prefix` to end; what is left."""
    deadline = time.monotonic() + timeout
    left = survivors(prefix)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = survivors(prefix)
    return left
