"""Cancelling a running job, and reusing (or forcibly re-running) the steps of an identical one."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cairn.store import job_timings
from cairn.workspace.resources import create_compute
from tests.engine.rig import (
    ENV,
    Rig,
    S,
    assert_outputs_committed,
    survivors,
    wait_until_gone,
    workdir,
)

STUBBORN = "trap '' TERM; sleep 60 & sleep 60; wait"


def long_job_yaml() -> str:
    steps = "".join(
        f"""
          long{i}:
            type: command
            environment: {ENV}
            command: echo long{i}; {STUBBORN}
            outputs: {{out: {{type: uri_folder}}}}
          after{i}:
            type: command
            environment: {ENV}
            command: echo after{i}
            inputs: {{x: "${{{{parent.jobs.long{i}.outputs.out}}}}"}}
        """
        for i in range(3)
    )
    return f"type: pipeline\ncompute: azureml:pair\njobs:{steps}"


@pytest.mark.parametrize("how", ["engine", "store"])
def test_cancel_stops_running_steps_and_skips_the_rest(rig: Rig, how: str) -> None:
    create_compute(rig.workspace, name="pair", type="local", max_instances=2)
    engine = rig.start()
    job_id = rig.submit(rig.write("long.yml", long_job_yaml()))
    running = [rig.wait_for_status(job_id, f"long{i}", {S.RUNNING}) for i in range(2)]
    for step in running:  # the commands themselves are up, not just the launchers
        log = workdir(step) / "user_logs" / "std_log.txt"
        deadline = time.monotonic() + 10
        while not (log.exists() and log.read_text()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert survivors(workdir(step))
    asked = time.monotonic()
    if how == "engine":
        engine.request_cancel(job_id)
    else:
        rig.store.jobs.transition(job_id, S.CANCEL_REQUESTED, reason="user", actor="tester")
    job = rig.wait(job_id, timeout=15)
    took = time.monotonic() - asked
    steps = rig.steps(job_id)
    assert job.status is S.CANCELED
    assert {k: v.status for k, v in steps.items()} == dict.fromkeys(steps, S.CANCELED)
    for step in running:
        ended = steps[step.node_path or ""]
        assert ended.properties["reason"] == "canceled"
        assert S.CANCEL_REQUESTED in [e.status for e in rig.events(ended.id)]
    for never in ("long2", "after0", "after1", "after2"):
        assert "workdir" not in steps[never].properties
        assert rig.events(steps[never].id)[-1].reason == "the job was canceled"
    # TERM is ignored by these steps: KILL after the 1 s grace ended them, and the job with them.
    assert took < rig.grace + 3.0
    assert wait_until_gone(rig.home.root, timeout=0.5) == []
    assert [e.status for e in rig.events(job_id)][-2:] == [S.CANCEL_REQUESTED, S.CANCELED]


def chain_yaml(marker: Path) -> str:
    return f"""
        type: pipeline
        compute: local
        jobs:
          make:
            type: command
            environment: {ENV}
            command: echo make >> {marker} && echo 21 > ${{{{outputs.out}}}}/n && sleep 0.2
            outputs: {{out: {{type: uri_folder}}}}
          double:
            type: command
            environment: {ENV}
            command: >-
              echo double >> {marker} &&
              echo $(( $(cat ${{{{inputs.n}}}}/n) * 2 )) > ${{{{outputs.out}}}}/n && sleep 0.2
            inputs: {{n: "${{{{parent.jobs.make.outputs.out}}}}"}}
            outputs: {{out: {{type: uri_folder}}}}
          show:
            type: command
            environment: {ENV}
            command: echo show >> {marker} && cat ${{{{inputs.n}}}}/n && sleep 0.2
            inputs: {{n: "${{{{parent.jobs.double.outputs.out}}}}"}}
        """


def test_identical_resubmission_reuses_every_step_and_force_rerun_runs_them(rig: Rig) -> None:
    marker = rig.root / "ran.txt"
    file = rig.write("chain.yml", chain_yaml(marker))
    rig.start()
    first = rig.run(file)
    assert first.status is S.COMPLETED
    assert marker.read_text().split() == ["make", "double", "show"]
    originals = rig.steps(first.id)

    again = rig.run(file)
    assert again.status is S.COMPLETED
    reused = rig.steps(again.id)
    assert marker.read_text().split() == ["make", "double", "show"]  # nothing ran again
    for sid, child in reused.items():
        assert child.status is S.COMPLETED
        assert child.reused_from_id == originals[sid].id
        assert child.properties["azureml.isreused"] == "true"
        assert child.properties["azureml.reusedrunid"] == originals[sid].name
        assert child.properties["outputs"] == originals[sid].properties["outputs"]
        assert "workdir" not in child.properties
        assert_outputs_committed(child)
        statuses = [e.status for e in rig.events(child.id)]
        assert S.PREPARING not in statuses and statuses[-1] is S.COMPLETED
    first_total = job_timings(rig.events(first.id)).total_s
    reused_total = job_timings(rig.events(again.id)).total_s
    assert first_total is not None and reused_total is not None
    assert reused_total < 0.5 < first_total  # three 0.2 s steps in a chain, against none

    forced = rig.run(file, overrides=["settings.force_rerun=true"])
    assert forced.status is S.COMPLETED
    assert marker.read_text().split() == ["make", "double", "show"] * 2
    for child in rig.steps(forced.id).values():
        assert child.reused_from_id is None
        assert "azureml.isreused" not in child.properties
        assert workdir(child).is_dir()  # it ran in a folder of its own
        assert_outputs_committed(child)


def test_a_step_whose_earlier_outputs_were_changed_is_not_reused(rig: Rig) -> None:
    marker = rig.root / "ran.txt"
    file = rig.write("chain.yml", chain_yaml(marker))
    rig.start()
    first = rig.run(file)
    made = Path(rig.steps(first.id)["make"].properties["outputs"]["out"]["path"]) / "n"
    made.write_text("50\n")  # tampered with after it was committed
    again = rig.run(file)
    steps = rig.steps(again.id)
    assert again.status is S.COMPLETED
    assert steps["make"].reused_from_id is None  # its recorded hash no longer matches
    assert marker.read_text().split() == ["make", "double", "show", "make"]
    assert steps["double"].reused_from_id is not None  # same input content: reused
