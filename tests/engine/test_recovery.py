"""Recovery: engines that stop, freeze or die while a job runs, and launchers that die under them.

The engines here are engine processes of their own (`engines.py`: the `python -m cairn.engine`
entry point, started warm), killed with SIGKILL or frozen with SIGSTOP, or the in-process engine
stopped as a server shutting down stops it. Each test names the
promise it checks (ARCHITECTURE.md, "Steps survive a server restart").
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cairn.launcher import control
from cairn.workspace.resources import create_compute
from tests.engine.engines import EnginePool, EngineProcess
from tests.engine.kill_loop import check_invariants
from tests.engine.rig import ENV, Rig, S, survivors, wait_until_gone, workdir

STUBBORN = "trap '' TERM; sleep 60 & sleep 60; wait"


class Engines:
    """Engine processes started by a test on its rig's home; those left are stopped at its end."""

    def __init__(self, rig: Rig, pool: EnginePool) -> None:
        self.rig = rig
        self.pool = pool
        self.started: list[EngineProcess] = []

    def start(self, lease: float = 1.0) -> EngineProcess:
        engine = self.pool.start(self.rig.home.root, self.log, lease=lease)
        self.started.append(engine)
        return engine

    @property
    def log(self) -> Path:
        return self.rig.root / "engines.log"

    def errors(self) -> str:
        """The engines' log if any of them logged an exception (empty otherwise)."""
        text = self.log.read_text()
        return text if "Traceback" in text else ""

    def close(self) -> None:
        for engine in self.started:
            engine.stop()


@pytest.fixture
def engines(rig: Rig, engine_pool: EnginePool) -> Iterator[Engines]:
    started = Engines(rig, engine_pool)
    try:
        yield started
    finally:
        started.close()


def chain_yaml(stamps: Path, naps: list[float], code: str | None = None) -> str:
    """A chain `s0 → s1 → …` in the kill loop's conventions (a `start` line per command run,
    one output `out`), so `check_invariants` applies."""
    lines = ["type: pipeline", "compute: local", "jobs:"]
    for i, nap in enumerate(naps):
        reads = "${{inputs.prev}}/v" if i else "/dev/null"
        lines += [
            f"  s{i}:",
            "    type: command",
            f"    environment: {ENV}",
            f'    command: \'echo "start s{i} $(date +%s.%N)" >> {stamps} && sleep {nap} && '
            f"cat {reads} > ${{{{outputs.out}}}}/v && echo s{i} >> ${{{{outputs.out}}}}/v'",
            "    outputs: {out: {type: uri_folder}}",
        ]
        if code and i == 0:
            lines.append(f"    code: {code}")
        if i:
            lines.append(f"    inputs: {{prev: '${{{{parent.jobs.s{i - 1}.outputs.out}}}}'}}")
    return "\n".join(lines) + "\n"


def lease_holder(rig: Rig, job_id: int) -> int | None:
    """The pid in the owner id (`host:pid:…`) of the engine holding the job's lease."""
    owner = rig.store.jobs.get(job_id).lease_owner
    return int(owner.split(":")[1]) if owner else None


def wait_until(check: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_frozen_engines_job_is_adopted_when_its_lease_runs_out(
    rig: Rig, engines: Engines
) -> None:
    """An engine that is alive but stuck (or on another machine) is not known to be gone: its
    jobs pass to another engine when the lease lapses, even if that engine started earlier —
    and the stuck engine, once it wakes, stands aside instead of driving the job too."""
    stamps = rig.root / "stamps.txt"
    first = engines.start(lease=2.0)
    job_id = rig.submit(rig.write("chain.yml", chain_yaml(stamps, [0.5, 0.2, 0.2])))
    rig.wait_for_status(job_id, "s0", {S.RUNNING})
    os.kill(first.pid, signal.SIGSTOP)
    second = engines.start(lease=2.0)  # warm: it starts long before the first one's lease lapses
    wait_until(lambda: lease_holder(rig, job_id) == second.pid, 15, "the second engine to adopt")
    os.kill(first.pid, signal.SIGCONT)
    job = rig.wait(job_id, timeout=30)
    assert check_invariants(rig.store, job, stamps) == []
    assert engines.errors() == ""
    assert f"lost the lease on job {job_id}" in engines.log.read_text()


def test_an_engine_that_was_frozen_past_its_lease_carries_on(rig: Rig, engines: Engines) -> None:
    stamps = rig.root / "stamps.txt"
    engine = engines.start(lease=1.0)
    job_id = rig.submit(rig.write("chain.yml", chain_yaml(stamps, [0.3, 0.3, 0.3])))
    rig.wait_for_status(job_id, "s0", {S.RUNNING})
    os.kill(engine.pid, signal.SIGSTOP)
    time.sleep(2.0)
    os.kill(engine.pid, signal.SIGCONT)
    job = rig.wait(job_id, timeout=30)
    assert check_invariants(rig.store, job, stamps) == []
    assert engines.errors() == ""


def test_a_stopped_engine_hands_its_jobs_to_the_next_one(rig: Rig) -> None:
    """A server shut down cleanly while a job runs: the next server finishes the job."""
    stamps = rig.root / "stamps.txt"
    rig.start()
    job_id = rig.submit(rig.write("chain.yml", chain_yaml(stamps, [0.6, 0.2])))
    rig.wait_for_status(job_id, "s0", {S.RUNNING})
    rig.stop_engine()
    rig.start()
    job = rig.wait(job_id, timeout=20)
    assert check_invariants(rig.store, job, stamps) == []


def test_a_step_whose_launcher_died_fails_as_lost_and_its_processes_are_stopped(
    rig: Rig,
) -> None:
    """The step host dies (every step it runs is lost with it); the next step starts on a new
    one. One slot, so that the bystander is still waiting when the host dies."""
    create_compute(rig.workspace, name="single", type="local", max_instances=1)
    file = rig.write(
        "lost.yml",
        f"""
        type: pipeline
        compute: single
        jobs:
          victim:
            type: command
            environment: {ENV}
            command: echo up; {STUBBORN}
            outputs: {{out: {{type: uri_folder}}}}
          after:
            type: command
            environment: {ENV}
            command: echo never
            inputs: {{x: "${{{{parent.jobs.victim.outputs.out}}}}"}}
          bystander:
            type: command
            environment: {ENV}
            command: sleep 0.5
        """,
    )
    rig.start()
    job_id = rig.submit(file)
    victim = rig.wait_for_status(job_id, "victim", {S.RUNNING})
    folder = workdir(victim)
    wait_until(lambda: survivors(folder), 10, "the victim's command to start")
    launcher = control.read_pids(folder)["launcher_pid"]
    assert rig.steps(job_id)["bystander"].status is not S.RUNNING
    os.kill(launcher, signal.SIGKILL)
    job = rig.wait(job_id, timeout=20)
    steps = rig.steps(job_id)
    assert job.status is S.FAILED
    assert steps["victim"].status is S.FAILED
    assert steps["victim"].properties["reason"] == "lost"
    assert steps["after"].status is S.CANCELED
    assert steps["bystander"].status is S.COMPLETED
    assert job.properties["root_failure"]["root_failure"] == "victim"
    # What the dead launcher left running is stopped (TERM, then KILL after the grace period).
    assert wait_until_gone(folder, timeout=rig.grace + 2.0) == []


def test_a_cancel_recorded_by_a_dead_engine_is_carried_out_by_the_next(
    rig: Rig, engines: Engines
) -> None:
    """The engine died after recording the cancel of a running step and before signalling it."""
    file = rig.write(
        "hold.yml",
        f"""
        type: pipeline
        compute: local
        jobs:
          hold:
            type: command
            environment: {ENV}
            command: echo up; {STUBBORN}
        """,
    )
    first = engines.start()
    job_id = rig.submit(file)
    hold = rig.wait_for_status(job_id, "hold", {S.RUNNING})
    wait_until(lambda: survivors(workdir(hold)), 10, "the command to start")
    first.kill()
    rig.store.jobs.transition(job_id, S.CANCEL_REQUESTED, reason="user", actor="tester")
    rig.store.jobs.transition(hold.id, S.CANCEL_REQUESTED, reason="cancel", actor="engine")
    engines.start()
    job = rig.wait(job_id, timeout=15)
    assert job.status is S.CANCELED
    assert rig.steps(job_id)["hold"].properties["reason"] == "canceled"
    assert wait_until_gone(workdir(hold), timeout=rig.grace + 1.0) == []


def test_a_step_that_started_running_while_no_engine_listened_is_shown_running(
    rig: Rig, engines: Engines
) -> None:
    """The launcher's `running` event went to a dead engine; the next one reads the step's
    timeline instead of showing it `Preparing` until it ends."""
    code = rig.root / "project" / "code"
    code.mkdir(parents=True)
    for i in range(3000):  # a snapshot that takes a moment to copy: a window to kill in
        (code / f"f{i}.txt").write_text(str(i))
    stamps = rig.root / "stamps.txt"
    first = engines.start()
    job_id = rig.submit(rig.write("chain.yml", chain_yaml(stamps, [2.5], code="./code")))
    step = rig.wait_for_status(job_id, "s0", {S.PREPARING, S.RUNNING})
    first.kill()
    assert rig.steps(job_id)["s0"].status is S.PREPARING  # killed while it copied the code
    wait_until(lambda: survivors(workdir(step)), 10, "the command to start")
    engines.start()
    running = rig.wait_for_status(job_id, "s0", {S.RUNNING}, timeout=10)
    assert not running.status.is_terminal
    events = rig.events(running.id)
    launcher_times = [
        json.loads(line) for line in (workdir(step) / "events.jsonl").read_text().splitlines()
    ]
    started = next(m["at"] for m in launcher_times if m["event"] == "running")
    assert events[-1].at.timestamp() == pytest.approx(started, abs=0.01)
    job = rig.wait(job_id, timeout=20)
    assert check_invariants(rig.store, job, stamps) == []


def test_a_reuse_recorded_without_its_outputs_by_a_dead_engine_is_completed_by_the_next(
    rig: Rig,
) -> None:
    """A step reused from an earlier job is linked to it and its outputs are recorded in two
    writes; an engine that died between them left a `Completed` step without outputs."""
    stamps = rig.root / "stamps.txt"
    file = rig.write("chain.yml", chain_yaml(stamps, [0.1, 0.1]))
    rig.start()
    first = rig.steps(rig.run(file).id)
    rig.stop_engine()
    job_id = rig.submit(file)
    step = rig.steps(job_id)["s0"]
    rig.store.jobs.transition(step.id, S.QUEUED, reason="inputs ready", actor="engine")
    rig.store.jobs.mark_reused(step.id, first["s0"].id, actor="engine")  # the first write only
    rig.start()
    job = rig.wait(job_id)
    steps = rig.steps(job_id)
    assert check_invariants(rig.store, job, stamps) == []
    assert steps["s0"].properties["outputs"] == first["s0"].properties["outputs"]
    assert steps["s1"].reused_from_id == first["s1"].id
