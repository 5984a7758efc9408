"""The kill loop: run pipelines under an engine process that is killed (SIGKILL) at random moments
and restarted, then check what ARCHITECTURE.md promises about recovery.

Each round submits a 20-step job (four chains of three with short sleeps, a fan-out of five with
its join, and a final step that waits for both), lets the engine work on it for a random while,
kills it and starts a new engine, which adopts the job. Most rounds (`run`) submit a fresh job;
a `twice` round kills the new engine too, soon after it started (while it adopts, often); a
`cancel` round also cancels the job at another random moment, before or after the kill; a
`reuse` round resubmits the previous round's file, so every step is reused. When the job has
ended, the round checks:

- every step is terminal; the job and its steps `Completed` (a `cancel` round: `Canceled` where
  the cancel came first), a `reuse` round's steps all reused;
- no step's command ran twice (each command writes a `start` line to its round's file), and no
  step had two launchers, let alone at once (each launcher marks `preparing` in the step's
  `events.jsonl`);
- every `Completed` step has a `Completed` record and its outputs present with the recorded hash;
- event times never go backwards within a job;
- no process of any step is left running once the job has ended (after the grace period).

The engine of one round's restart is the engine the next round kills, so N rounds start N + 1
engines (see `engines.py` for how they start). Shared by `tests/engine/test_kill_loop.py` and
`bench/kill_loop.py`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cairn.data.hashing import hash_path
from cairn.errors import Conflict
from cairn.home import Home
from cairn.launcher.protocol import EVENTS, StepRecord
from cairn.store import Job, Move, Store, open_store, sqlite_url
from cairn.store.status import JobStatus
from cairn.workspace.context import Workspace
from cairn.workspace.jobs import submit_job
from cairn.workspace.resources import create_compute
from tests.engine.engines import GRACE, EnginePool, EngineProcess
from tests.engine.rig import ENV, wait_until_gone

S = JobStatus
JOB_DEADLINE = 60.0
# About how long one job runs undisturbed on a 2-core machine: kills land anywhere in it.
KILL_WINDOW = 1.5


@dataclass
class Round:
    index: int
    mode: str
    kill_after: float
    kill_again_after: float | None = None
    cancel_after: float | None = None
    job_id: int = 0
    status: str = ""
    seconds: float = 0.0
    statuses_at_kill: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)


def round_mode(index: int) -> str:
    """Of every five rounds: run, twice, cancel, run, reuse (of the run before it)."""
    return {1: "twice", 2: "cancel", 4: "reuse"}.get(index % 5, "run")


def pipeline_yaml(stamps: Path, rng: random.Random) -> str:
    """20 steps; every command names its step and its round's stamp file, so no two steps (in
    this round or any other) share a reuse key."""
    steps: dict[str, list[str]] = {}
    for chain in range(4):
        for link in range(3):
            steps[f"c{chain}_{link}"] = [f"c{chain}_{link - 1}"] if link else []
    steps["src"] = []
    for fan in range(5):
        steps[f"f{fan}"] = ["src"]
    steps["join"] = [f"f{fan}" for fan in range(5)]
    steps["tail"] = ["join", "c0_2"]
    lines = ["type: pipeline", "compute: azureml:kill", "jobs:"]
    for sid, deps in steps.items():
        nap = round(rng.uniform(0.02, 0.25), 2)
        reads = " ".join(f"${{{{inputs.i{n}}}}}/v" for n in range(len(deps)))
        command = (
            f'echo "start {sid} $(date +%s.%N)" >> {stamps} && sleep {nap} && '
            f"cat {reads} /dev/null > ${{{{outputs.out}}}}/v && echo {sid} >> ${{{{outputs.out}}}}/v"
        )
        lines += [
            f"  {sid}:",
            "    type: command",
            f"    environment: {ENV}",
            f"    command: '{command}'",
            "    outputs: {out: {type: uri_folder}}",
        ]
        if deps:
            lines.append("    inputs:")
            lines += [
                f"      i{n}: ${{{{parent.jobs.{d}.outputs.out}}}}" for n, d in enumerate(deps)
            ]
    return "\n".join(lines) + "\n"


def run_kill_loop(
    root: Path,
    rounds: int,
    pool: EnginePool,
    *,
    seed: int = 0,
    on_round: Callable[[Round], None] | None = None,
) -> list[Round]:
    """Run `rounds` kill-and-restart rounds in a home under `root`, each checked."""
    rng = random.Random(seed)
    home = Home(root / "home").ensure()
    store = open_store(sqlite_url(home.database))
    workspace = Workspace(home, store, actor="kill-loop")
    create_compute(workspace, name="kill", type="local", max_instances=4)
    log = home.logs / "engine.log"
    engines = [pool.start(home.root, log)]
    done: list[Round] = []
    try:
        for index in range(rounds):
            mode = round_mode(index)
            result = Round(index, mode, round(rng.uniform(0.0, KILL_WINDOW), 3))
            if mode == "cancel":
                result.cancel_after = round(rng.uniform(0.0, KILL_WINDOW), 3)
            if mode == "twice":
                result.kill_again_after = round(result.kill_after + rng.uniform(0.0, 0.5), 3)
            stamps, file = root / f"stamps-{index}.txt", root / f"pipeline-{index}.yml"
            if mode == "reuse" and index > 0:
                stamps, file = root / f"stamps-{index - 1}.txt", root / f"pipeline-{index - 1}.yml"
            else:
                file.write_text(pipeline_yaml(stamps, rng))
            started = time.monotonic()
            result.job_id = submit_job(workspace, file).job.id
            _disturb(result, store, lambda: engines.append(_restart(engines[-1], pool, home, log)))
            job = wait_terminal(store, result.job_id, JOB_DEADLINE)
            result.seconds = round(time.monotonic() - started, 3)
            result.status = str(job.status)
            result.violations = check_invariants(store, job, stamps, mode)
            left = wait_until_gone(home.root, GRACE + 2.0)
            result.violations += [f"step processes left running: {left}"] if left else []
            done.append(result)
            if on_round is not None:
                on_round(result)
    finally:
        engines[-1].stop()
        workspace.close()
        store.close()
    return done


def _restart(engine: EngineProcess, pool: EnginePool, home: Home, log: Path) -> EngineProcess:
    engine.kill()
    return pool.start(home.root, log)


def _disturb(result: Round, store: Store, kill_and_restart: Callable[[], object]) -> None:
    """Kill (and restart) the engine, and cancel the job, each at its moment."""
    moments = [(result.kill_after, "kill")]
    if result.kill_again_after is not None:
        moments.append((result.kill_again_after, "kill again"))
    if result.cancel_after is not None:
        moments.append((result.cancel_after, "cancel"))
    began = time.monotonic()
    for at, what in sorted(moments):
        time.sleep(max(0.0, began + at - time.monotonic()))
        if what == "cancel":
            cancel(store, result.job_id)
            continue
        kill_and_restart()
        if what == "kill":
            children = store.jobs.children(result.job_id)
            result.statuses_at_kill = dict(Counter(str(c.status) for c in children))


def cancel(store: Store, job_id: int) -> None:
    """Cancel as the server does: an unclaimed job at once, a claimed one through its engine."""
    job = store.jobs.get(job_id)
    moves = []
    if job.status in (S.NOT_STARTED, S.QUEUED) and job.lease_owner is None:
        moves = [
            Move(c.id, S.CANCELED, reason="the job was canceled", expected_from=c.status)
            for c in store.jobs.children(job_id)
            if not c.status.is_terminal
        ]
        moves.append(Move(job_id, S.CANCELED, expected_from=job.status))
    elif not job.status.is_terminal and job.status is not S.CANCEL_REQUESTED:
        moves = [Move(job_id, S.CANCEL_REQUESTED, reason="cancel", expected_from=job.status)]
    with contextlib.suppress(Conflict):  # it moved on meanwhile (claimed, or ended): let it be
        store.jobs.apply(moves, actor="kill-loop")


def wait_terminal(store: Store, job_id: int, deadline: float) -> Job:
    until = time.monotonic() + deadline
    job = store.jobs.get(job_id)
    while not job.status.is_terminal and time.monotonic() < until:
        time.sleep(0.05)
        job = store.jobs.get(job_id)
    return job


def check_invariants(store: Store, job: Job, stamps: Path, mode: str = "run") -> list[str]:
    """What went wrong with `job` (empty when recovery kept every promise)."""
    allowed = {S.COMPLETED, S.CANCELED} if mode == "cancel" else {S.COMPLETED}
    found: list[str] = []
    if not job.status.is_terminal:
        found.append(f"job still {job.status} after {JOB_DEADLINE:g} s")
    elif job.status not in allowed:
        found.append(f"job ended {job.status}: {dict(job.properties.get('root_failure') or {})}")
    starts = Counter(line.split()[1] for line in _lines(stamps) if line.startswith("start "))
    found += [f"{sid}: its command ran {n} times" for sid, n in starts.items() if n > 1]
    found += _monotonic(store, job)
    for child in store.jobs.children(job.id):
        sid = child.node_path or child.node_name or "?"
        found += [f"{sid}: {problem}" for problem in _check_step(store, child, allowed)]
        if mode == "reuse" and child.reused_from_id is None:
            found.append(f"{sid}: ran again instead of being reused")
    return found


def _check_step(store: Store, child: Job, allowed: set[JobStatus]) -> list[str]:
    found = []
    if not child.status.is_terminal:
        found.append(f"still {child.status}")
    elif child.status not in allowed:
        found.append(f"{child.status} ({child.properties.get('reason')})")
    found += _monotonic(store, child)
    folder = child.properties.get("workdir")
    if folder is not None:
        found += _launcher_runs(Path(str(folder)))
    if child.status is S.COMPLETED:
        found += _committed(child)
    return found


def _monotonic(store: Store, job: Job) -> list[str]:
    times = [e.at for e in store.jobs.events(job.id)]
    if times != sorted(times):
        return [f"event times go backwards: {[t.isoformat() for t in times]}"]
    return []


def _launcher_runs(folder: Path) -> list[str]:
    """More than one launcher, or launchers whose lives overlapped, from the step's timeline."""
    marks = [json.loads(line) for line in _lines(folder / EVENTS)]
    runs: list[list[float]] = []
    for mark in marks:
        if mark["event"] == "preparing":
            runs.append([mark["at"], float("inf")])
        elif mark["event"] == "ended" and runs:
            runs[-1][1] = mark["at"]
    problems = [f"{len(runs)} launchers ran"] if len(runs) > 1 else []
    for before, after in itertools.pairwise(runs):
        if after[0] < before[1]:
            problems.append("two launchers ran at once")
    return problems


def _committed(child: Job) -> list[str]:
    problems = []
    outputs = dict(child.properties.get("outputs") or {})
    if set(outputs) != {"out"}:
        problems.append(f"Completed with outputs {sorted(outputs)}")
    for name, output in outputs.items():
        path = Path(str(output.get("path")))
        if not path.exists():
            problems.append(f"Completed but output {name} is missing at {path}")
        elif hash_path(path).hash != output.get("hash"):
            problems.append(f"Completed but output {name} does not match its recorded hash")
    folder = child.properties.get("workdir")
    if folder is not None and child.reused_from_id is None:
        record = StepRecord.read(Path(str(folder)))
        if record is None or record.status != "Completed":
            problems.append(f"Completed but its record says {record and record.status}")
    return problems


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []
