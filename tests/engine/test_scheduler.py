"""The engine's state machine, fed events: no processes, no store."""

from __future__ import annotations

from cairn.engine.scheduler import Cancel, FinishJob, Launch, MarkQueued, Scheduler, Skip
from cairn.plan.model import ComponentInfo, EnvironmentInfo, JobSettings, Plan, PlanStep
from cairn.store.status import JobStatus as S


def plan(
    steps: dict[str, list[str]],
    *,
    continue_on_failure: bool = True,
    compute: str = "local",
    slots: dict[str, int] | None = None,
) -> Plan:
    return Plan(
        job_name="j",
        display_name="j",
        experiment_name="e",
        settings=JobSettings(continue_on_step_failure=continue_on_failure),
        steps={
            sid: PlanStep(
                id=sid,
                name=f"j.{sid}",
                node=sid,
                display_name=sid,
                component=ComponentInfo(origin="inline", content_hash="c"),
                command="true",
                environment=EnvironmentInfo(identity="e"),
                compute=compute,
                instance_count=(slots or {}).get(sid, 1),
                depends_on=deps,
            )
            for sid, deps in steps.items()
        },
    )


def launches(decisions: list[object]) -> list[str]:
    return [d.step for d in decisions if isinstance(d, Launch)]


def test_chain_runs_in_order_and_completes() -> None:
    s = Scheduler(capacity={"local": 4})
    out = s.add_job(1, plan({"a": [], "b": ["a"], "c": ["b"]}))
    assert out == [MarkQueued(1, ("a",)), Launch(1, "a")]
    out = s.step_ended(1, "a", S.COMPLETED)
    assert out == [MarkQueued(1, ("b",)), Launch(1, "b")]
    s.step_ended(1, "b", S.COMPLETED)
    assert s.step_ended(1, "c", S.COMPLETED) == [FinishJob(1, S.COMPLETED, None)]


def test_diamond_waits_for_both_branches() -> None:
    s = Scheduler(capacity={"local": 4})
    s.add_job(1, plan({"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}))
    assert launches(s.step_ended(1, "a", S.COMPLETED)) == ["b", "c"]
    assert launches(s.step_ended(1, "b", S.COMPLETED)) == []
    assert launches(s.step_ended(1, "c", S.COMPLETED)) == ["d"]


def test_slots_limit_parallelism_and_instance_count_takes_several() -> None:
    s = Scheduler(capacity={"local": 2})
    out = s.add_job(1, plan({f"s{i}": [] for i in range(5)}))
    assert launches(out) == ["s0", "s1"]
    assert s.status_of(1, "s2") is S.QUEUED
    assert launches(s.step_ended(1, "s0", S.COMPLETED)) == ["s2"]
    big = Scheduler(capacity={"local": 3})
    out = big.add_job(2, plan({"wide": [], "x": [], "y": []}, slots={"wide": 2}))
    assert launches(out) == ["wide", "x"]
    assert launches(big.step_ended(2, "x", S.COMPLETED)) == ["y"]


def test_a_step_that_can_never_fit_fails_clearly() -> None:
    s = Scheduler(capacity={"local": 2})
    out = s.add_job(1, plan({"huge": [], "after": ["huge"]}, slots={"huge": 3}))
    skips = [d for d in out if isinstance(d, Skip)]
    assert skips[0] == Skip(1, "huge", S.FAILED, "needs 3 instances; compute `local` has 2")
    assert skips[1].step == "after" and skips[1].status is S.CANCELED
    assert out[-1] == FinishJob(1, S.FAILED, "huge")


def test_failure_with_continue_on_step_failure_keeps_independent_branches() -> None:
    s = Scheduler(capacity={"local": 4})
    s.add_job(1, plan({"a": [], "b": ["a"], "x": [], "y": ["x"]}))
    out = s.step_ended(1, "a", S.FAILED)
    assert out == [Skip(1, "b", S.CANCELED, "upstream step `a` failed")]
    assert launches(s.step_ended(1, "x", S.COMPLETED)) == ["y"]
    assert s.step_ended(1, "y", S.COMPLETED) == [FinishJob(1, S.FAILED, "a")]


def test_failure_without_continue_stops_everything() -> None:
    s = Scheduler(capacity={"local": 2})
    s.add_job(1, plan({"a": [], "x": [], "z": [], "b": ["a"]}, continue_on_failure=False))
    out = s.step_ended(1, "a", S.FAILED)
    assert Cancel(1, "x") in out
    assert Skip(1, "z", S.CANCELED, "step `a` failed") in out
    assert Skip(1, "b", S.CANCELED, "step `a` failed") in out
    assert launches(out) == []
    assert s.step_ended(1, "x", S.CANCELED) == [FinishJob(1, S.FAILED, "a")]


def test_cancel_stops_running_and_skips_the_rest() -> None:
    s = Scheduler(capacity={"local": 1})
    s.add_job(1, plan({"a": [], "b": [], "c": ["a"]}))
    out = s.cancel_job(1)
    assert out == [
        Cancel(1, "a"),
        Skip(1, "b", S.CANCELED, "the job was canceled"),
        Skip(1, "c", S.CANCELED, "the job was canceled"),
    ]
    assert s.step_ended(1, "a", S.CANCELED) == [FinishJob(1, S.CANCELED, None)]


def test_slots_are_shared_first_come_first_served_across_jobs() -> None:
    s = Scheduler(capacity={"local": 1})
    assert launches(s.add_job(1, plan({"a": [], "b": []}))) == ["a"]
    assert launches(s.add_job(2, plan({"p": []}))) == []
    assert launches(s.step_ended(1, "a", S.COMPLETED)) == ["b"]
    assert launches(s.step_ended(1, "b", S.COMPLETED)) == ["p"]


def test_resume_after_restart_keeps_running_steps_and_their_slots() -> None:
    s = Scheduler(capacity={"local": 2})
    statuses = {
        "a": S.COMPLETED,
        "b": S.RUNNING,
        "c": S.QUEUED,
        "d": S.NOT_STARTED,
        "e": S.NOT_STARTED,
    }
    out = s.add_job(7, plan({"a": [], "b": ["a"], "c": ["a"], "d": ["b"], "e": []}), statuses)
    assert out == [MarkQueued(7, ("e",)), Launch(7, "c")]
    assert s.active_steps(7) == ["b", "c"]
    assert launches(s.step_ended(7, "b", S.COMPLETED)) == ["e"]
    assert launches(s.step_ended(7, "c", S.COMPLETED)) == ["d"]


def test_resume_skips_dependents_of_a_step_that_failed_while_away() -> None:
    s = Scheduler(capacity={"local": 2})
    out = s.add_job(3, plan({"a": [], "b": ["a"]}), {"a": S.FAILED})
    assert out == [
        Skip(3, "b", S.CANCELED, "upstream step `a` failed"),
        FinishJob(3, S.FAILED, "a"),
    ]


def test_fan_out_of_a_thousand_is_linear() -> None:
    s = Scheduler(capacity={"local": 8})
    steps = {"start": []} | {f"s{i}": ["start"] for i in range(1000)}
    steps["end"] = [f"s{i}" for i in range(1000)]
    s.add_job(1, plan(steps))
    running = launches(s.step_ended(1, "start", S.COMPLETED))
    done = 0
    while running:
        step = running.pop(0)
        out = s.step_ended(1, step, S.COMPLETED)
        done += 1
        running.extend(launches(out))
        if step == "end":
            assert out == [FinishJob(1, S.COMPLETED, None)]
    assert done == 1001


def test_a_job_taken_over_by_another_engine_gives_its_slots_back() -> None:
    """An engine that lost a job's lease stops deciding for it; without `drop_job` the slots of
    the job's running steps would stay taken here forever."""
    s = Scheduler(capacity={"local": 1})
    assert launches(s.add_job(1, plan({"a": [], "b": ["a"]}))) == ["a"]
    assert launches(s.add_job(2, plan({"p": []}))) == []
    assert s.drop_job(1) == [Launch(2, "p")]
    assert not s.holds(1)
    assert s.step_ended(1, "a", S.COMPLETED) == []  # late news about the dropped job is ignored
    assert s.drop_job(1) == []
    assert s.step_ended(2, "p", S.COMPLETED) == [FinishJob(2, S.COMPLETED, None)]
