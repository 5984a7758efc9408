"""Steps that fail, run out of time or misbehave, run by a real engine: what the job record says,
what the rest of the pipeline does, and that nothing of a stopped step keeps running."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cairn.executors.local import LocalExecutor
from cairn.launcher.protocol import LaunchSpec
from cairn.workspace.resources import create_compute
from tests.engine.rig import ENV, Rig, S, std_log, survivors, wait_until_gone

# A step that ignores TERM (and so do its children): only KILL, after the grace period, ends it.
STUBBORN = "trap '' TERM; sleep 60 & sleep 60; wait"


def branches_yaml(continue_on_failure: bool) -> str:
    return f"""
        type: pipeline
        compute: azureml:pair
        settings:
          continue_on_step_failure: {str(continue_on_failure).lower()}
        jobs:
          bad:
            type: command
            environment: {ENV}
            command: >-
              echo "reading the input" && echo "ValueError: column 'depth' is missing" &&
              sleep 0.3 && exit 3
            outputs: {{out: {{type: uri_folder}}}}
          after_bad:
            type: command
            environment: {ENV}
            command: ls ${{{{inputs.x}}}}
            inputs: {{x: "${{{{parent.jobs.bad.outputs.out}}}}"}}
            outputs: {{out: {{type: uri_folder}}}}
          last:
            type: command
            environment: {ENV}
            command: ls ${{{{inputs.x}}}}
            inputs: {{x: "${{{{parent.jobs.after_bad.outputs.out}}}}"}}
          good:
            type: command
            environment: {ENV}
            command: {"sleep 1 && echo fine > ${{outputs.out}}/ok" if continue_on_failure else STUBBORN}
            outputs: {{out: {{type: uri_folder}}}}
          after_good:
            type: command
            environment: {ENV}
            command: cat ${{{{inputs.x}}}}/ok
            inputs: {{x: "${{{{parent.jobs.good.outputs.out}}}}"}}
          waiting:
            type: command
            environment: {ENV}
            command: echo never
        """


def test_continue_on_step_failure_finishes_independent_branches(rig: Rig) -> None:
    create_compute(rig.workspace, name="pair", type="local", max_instances=3)
    rig.start()
    job = rig.run(rig.write("branches.yml", branches_yaml(True)))
    steps = rig.steps(job.id)
    assert job.status is S.FAILED
    assert {k: v.status for k, v in steps.items()} == {
        "bad": S.FAILED,
        "after_bad": S.CANCELED,
        "last": S.CANCELED,
        "good": S.COMPLETED,
        "after_good": S.COMPLETED,
        "waiting": S.COMPLETED,
    }
    assert steps["bad"].properties["reason"] == "exit_code"
    assert steps["bad"].properties["exit_code"] == 3
    for skipped in ("after_bad", "last"):
        events = rig.events(steps[skipped].id)
        assert [e.status for e in events][-1] is S.CANCELED
        assert events[-1].reason == "upstream step `bad` failed"
        assert "workdir" not in steps[skipped].properties  # never launched
    root = job.properties["root_failure"]
    assert root["root_failure"] == "bad"
    assert root["root_failure_job"] == steps["bad"].name
    assert root["reason"] == "exit_code"
    assert root["log_tail"][-1] == "ValueError: column 'depth' is missing"
    assert rig.events(job.id)[-1].detail == root
    assert "ValueError: column 'depth' is missing" in std_log(steps["bad"])


def test_without_continue_the_first_failure_stops_the_rest_promptly(rig: Rig) -> None:
    create_compute(rig.workspace, name="pair", type="local", max_instances=2)
    rig.start()
    job_id = rig.submit(rig.write("branches.yml", branches_yaml(False)))
    good = rig.wait_for_status(job_id, "good", {S.RUNNING})
    failed_at = rig.wait_for_status(job_id, "bad", {S.FAILED}).status_at
    job = rig.wait(job_id, timeout=15)
    assert job.status is S.FAILED
    steps = rig.steps(job_id)
    assert steps["good"].status is S.CANCELED  # running, stopped (it ignores TERM: killed)
    assert steps["good"].properties["reason"] == "canceled"
    for never_ran in ("after_bad", "last", "after_good", "waiting"):
        assert steps[never_ran].status is S.CANCELED
        assert rig.events(steps[never_ran].id)[-1].reason in (
            "step `bad` failed",
            "upstream step `bad` failed",
        )
    assert job.properties["root_failure"]["root_failure"] == "bad"
    # Stopped within the grace period (1 s) and a little engine latency.
    assert (job.status_at - failed_at).total_seconds() < rig.grace + 2.0
    assert survivors(Path(str(good.properties["workdir"]))) == []


def test_timeout_fails_the_step_and_kills_every_process(rig: Rig) -> None:
    file = rig.write(
        "slow.yml",
        f"""
        type: pipeline
        compute: local
        jobs:
          slow:
            type: command
            environment: {ENV}
            command: echo started; {STUBBORN}
            limits: {{timeout: 1}}
            outputs: {{out: {{type: uri_folder}}}}
          after:
            type: command
            environment: {ENV}
            command: echo never
            inputs: {{x: "${{{{parent.jobs.slow.outputs.out}}}}"}}
        """,
    )
    rig.start()
    started = time.monotonic()
    job = rig.run(file, timeout=30)
    took = time.monotonic() - started
    slow = rig.steps(job.id)["slow"]
    assert job.status is S.FAILED
    assert slow.status is S.FAILED
    assert slow.properties["reason"] == "timeout"
    assert "timed out after 1 s" in slow.properties["message"]
    assert rig.steps(job.id)["after"].status is S.CANCELED
    assert 1.0 <= took < 1.0 + rig.grace + 3.0
    assert wait_until_gone(Path(str(slow.properties["workdir"])), timeout=rig.grace) == []
    assert "started" in std_log(slow)


def test_a_step_that_modifies_its_input_fails_naming_the_file(rig: Rig) -> None:
    rig.write("data/table.csv", "a,b\n1,2\n")
    file = rig.write(
        "modify.yml",
        f"""
        type: pipeline
        compute: local
        jobs:
          make:
            type: command
            environment: {ENV}
            command: echo original > ${{{{outputs.out}}}}/kept.txt
            outputs: {{out: {{type: uri_folder}}}}
          tamper_upstream:
            type: command
            environment: {ENV}
            command: echo changed >> ${{{{inputs.x}}}}/kept.txt
            inputs: {{x: "${{{{parent.jobs.make.outputs.out}}}}"}}
          tamper_data:
            type: command
            environment: {ENV}
            command: echo 3,4 >> ${{{{inputs.table}}}}/table.csv
            inputs:
              table: {{type: uri_folder, path: ./data}}
        """,
    )
    rig.start()
    job = rig.run(file)
    steps = rig.steps(job.id)
    assert job.status is S.FAILED
    assert steps["make"].status is S.COMPLETED
    for step, name in (("tamper_upstream", "kept.txt"), ("tamper_data", "table.csv")):
        assert steps[step].status is S.FAILED
        assert steps[step].properties["reason"] == "input_modified"
        assert name in steps[step].properties["message"]


def test_a_literal_input_is_never_run_as_shell_code(rig: Rig) -> None:
    pwned = rig.root / "pwned"
    payloads = [
        f"x; touch {pwned}",
        f"$(touch {pwned}1)",
        f"`touch {pwned}2`",
        f"x && touch {pwned}3 | cat",
    ]
    jobs = "".join(
        f"""
          echo{i}:
            type: command
            environment: {ENV}
            command: echo got ${{{{inputs.msg}}}}
            inputs:
              msg: "{payload}"
        """
        for i, payload in enumerate(payloads)
    )
    file = rig.write("inject.yml", f"type: pipeline\ncompute: local\njobs:{jobs}")
    rig.start()
    job = rig.run(file)
    assert job.status is S.COMPLETED
    assert sorted(p.name for p in rig.root.iterdir() if p.name.startswith("pwned")) == []
    steps = rig.steps(job.id)
    for i, payload in enumerate(payloads):
        assert std_log(steps[f"echo{i}"]).rstrip().endswith(f"got {payload}")


def test_a_launcher_that_cannot_start_fails_its_step_instead_of_hanging(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Launchers started from here import a `cairn` that exits at once: no launcher ever starts.
    shadow = tmp_path / "shadow" / "cairn"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise SystemExit(70)\n")
    monkeypatch.setenv("PYTHONPATH", str(shadow.parent))
    detail = _one_step_failing_at_launch(rig)
    assert "ended before starting the step, 4 times" in detail


def test_an_executor_that_raises_on_launch_fails_the_step_instead_of_looping(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def broken(self: LocalExecutor, spec: LaunchSpec) -> None:
        calls.append(spec.workdir)
        raise RuntimeError("the executor is broken")

    monkeypatch.setattr(LocalExecutor, "launch", broken)
    _one_step_failing_at_launch(rig)
    assert len(calls) == 4 and len(set(calls)) == 1  # the first try and three more, one folder


def _one_step_failing_at_launch(rig: Rig) -> str:
    """Run a one-step pipeline that must fail at launch; the failure's detail."""
    rig.start()
    file = rig.write(
        "one.yml",
        f"""
        type: pipeline
        compute: local
        jobs:
          only:
            type: command
            environment: {ENV}
            command: echo never
        """,
    )
    job = rig.run(file)
    assert job.status is S.FAILED
    step = rig.steps(job.id)["only"]
    assert step.status is S.FAILED
    ended = [e for e in rig.events(step.id) if e.status is S.FAILED]
    assert ended and ended[-1].reason == "launch_error", ended
    return str(ended[-1].detail)
