"""Contract tests for the job store: creation, names, patches, transitions, events, reuse."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest

from cairn.errors import Conflict, NotFound, UsageError
from cairn.store import (
    IllegalTransition,
    JobStatus,
    NewJob,
    StaleStatus,
    Store,
    job_timings,
    open_store,
)
from cairn.store.names import job_name, seeded_generator, words

S = JobStatus
NAME = re.compile(r"^[a-z]+_[a-z]+_[a-z0-9]{8}$")


def test_generated_names_are_adjective_noun_suffix_and_distinct(store: Store) -> None:
    jobs = [store.jobs.create("default", NewJob(type="command"), actor="ann") for _ in range(50)]
    names = [job.name for job in jobs]
    assert all(NAME.match(name) for name in names), names
    assert len(set(names)) == 50
    adjective, noun, _ = names[0].split("_")
    assert adjective in words("adjectives")
    assert noun in words("nouns")
    assert jobs[0].display_name == names[0]


def test_word_lists_are_a_few_hundred_plain_words() -> None:
    for kind in ("adjectives", "nouns"):
        listed = words(kind)
        assert len(listed) >= 250
        assert len(set(listed)) == len(listed)
        assert all(re.fullmatch(r"[a-z]+", word) for word in listed)


def test_name_collision_is_retried_with_a_fresh_name(backend, clock) -> None:
    first, second = job_name(), job_name()
    sequence: Iterator[str] = iter([first, first, first, second])
    store = open_store(backend, migrate=False, clock=clock, names=lambda: next(sequence))
    a = store.jobs.create("default", NewJob(type="command"), actor="ann")
    b = store.jobs.create("default", NewJob(type="command"), actor="ann")
    assert (a.name, b.name) == (first, second)


def test_same_name_is_allowed_in_another_workspace(store: Store) -> None:
    store.workspaces.create("other", actor="ann")
    store.jobs.create("default", NewJob(type="command", name="my_job"), actor="ann")
    other = store.jobs.create("other", NewJob(type="command", name="my_job"), actor="ann")
    assert other.workspace == "other"
    with pytest.raises(Conflict, match="a job named my_job already exists"):
        store.jobs.create("default", NewJob(type="command", name="my_job"), actor="ann")


def test_create_stores_every_field_and_the_plan(store: Store) -> None:
    new = NewJob(
        type="pipeline",
        display_name="Nightly",
        experiment_name="flood",
        description="all regions",
        tags={"team": "hydro"},
        properties={"azureml.runsource": "cairn", "n": 3},
        compute="cpu-cluster",
        source={"commit": "abc123", "file": "pipeline.yml"},
        plan={"nodes": {"train": {"command": "python train.py"}}},
        status=S.QUEUED,
    )
    job = store.jobs.create("default", new, actor="ann")
    again = store.jobs.get(job.id)
    assert again == job
    assert store.jobs.get_by_name("default", job.name) == job
    assert (job.display_name, job.experiment_name, job.compute) == (
        "Nightly",
        "flood",
        "cpu-cluster",
    )
    assert job.tags == {"team": "hydro"}
    assert job.properties == {"azureml.runsource": "cairn", "n": 3}
    assert job.source == {"commit": "abc123", "file": "pipeline.yml"}
    assert (job.status, job.created_by, job.archived) == (S.QUEUED, "ann", False)
    assert store.jobs.plan(job.id) == {"nodes": {"train": {"command": "python train.py"}}}
    assert [e.status for e in store.jobs.events(job.id)] == [S.QUEUED]


def test_children_share_the_table_and_carry_their_node(store: Store) -> None:
    parent = store.jobs.create("default", NewJob(type="pipeline"), actor="ann")
    kids = store.jobs.create_children(
        parent.id,
        [
            NewJob(type="command", node_name="prep"),
            NewJob(type="command", node_name="train", node_path="inner/train"),
        ],
        actor="ann",
    )
    assert [(k.parent_id, k.node_name, k.node_path) for k in kids] == [
        (parent.id, "prep", "prep"),
        (parent.id, "train", "inner/train"),
    ]
    assert [k.id for k in store.jobs.children(parent.id)] == [k.id for k in kids]
    with pytest.raises(UsageError, match="node_name"):
        store.jobs.create_children(parent.id, [NewJob(type="command")], actor="ann")


def test_a_pipeline_is_created_queued_with_its_steps_in_one_transaction(store: Store) -> None:
    steps = [NewJob(type="command", name=f"p1.{n}", node_name=n) for n in ("prep", "train")]
    job, ids = store.jobs.create_pipeline(
        "default", NewJob(type="pipeline", name="p1", plan={"steps": 2}), steps, actor="ann"
    )
    assert job.status is S.QUEUED and job.name == "p1"
    assert [e.status for e in store.jobs.events(job.id)] == [S.NOT_STARTED, S.QUEUED]
    children = store.jobs.children(job.id)
    assert [c.id for c in children] == ids
    assert [(c.name, c.status) for c in children] == [
        ("p1.prep", S.NOT_STARTED),
        ("p1.train", S.NOT_STARTED),
    ]
    # A step name already taken: nothing is created, the pipeline's name stays free.
    store.jobs.create("default", NewJob(type="command", name="p2.train"), actor="ann")
    clashing = [NewJob(type="command", name=f"p2.{n}", node_name=n) for n in ("prep", "train")]
    with pytest.raises(Conflict, match=r"p2\.train"):
        store.jobs.create_pipeline(
            "default", NewJob(type="pipeline", name="p2"), clashing, actor="ann"
        )
    with pytest.raises(NotFound):
        store.jobs.get_by_name("default", "p2")
    with pytest.raises(NotFound):
        store.jobs.get_by_name("default", "p2.prep")


def test_unknown_things_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="no job with id 999"):
        store.jobs.get(999)
    with pytest.raises(NotFound, match="no job named nope in workspace default"):
        store.jobs.get_by_name("default", "nope")
    with pytest.raises(NotFound, match="no workspace named nowhere; workspaces: default"):
        store.jobs.create("nowhere", NewJob(type="command"), actor="ann")


def test_update_patches_tags_and_properties(store: Store) -> None:
    job = store.jobs.create(
        "default",
        NewJob(type="command", tags={"a": "1", "b": "2"}, properties={"p": 1}),
        actor="ann",
    )
    updated = store.jobs.update(
        job.id, tags={"a": None, "c": "3"}, properties={"q": [1, 2]}, description="d", actor="bob"
    )
    assert updated.tags == {"b": "2", "c": "3"}
    assert updated.properties == {"p": 1, "q": [1, 2]}
    assert updated.description == "d"
    assert store.jobs.get(job.id) == updated


def test_legal_path_writes_one_event_per_transition(store: Store, clock) -> None:
    job = store.jobs.create("default", NewJob(type="command"), actor="ann")
    steps = [(S.QUEUED, 0.0), (S.PREPARING, 2.000123), (S.RUNNING, 3.0), (S.FINALIZING, 10.0)]
    for status, wait in [*steps, (S.COMPLETED, 1.0)]:
        clock.advance(wait)
        job = store.jobs.transition(job.id, status, reason=f"to {status}", actor="engine")
    events = store.jobs.events(job.id)
    assert [e.status for e in events] == [S.NOT_STARTED, S.QUEUED, S.PREPARING, S.RUNNING,
                                          S.FINALIZING, S.COMPLETED]  # fmt: skip
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert events[2].reason == "to Preparing"
    timings = job_timings(events)
    assert timings.queued_s == pytest.approx(2.000123, abs=5e-6)  # microseconds survive
    assert timings.preparing_s == pytest.approx(3.0, abs=1e-3)
    assert timings.running_s == pytest.approx(10.0, abs=1e-3)
    assert timings.finalizing_s == pytest.approx(1.0, abs=1e-3)
    assert timings.total_s == pytest.approx(16.000123, abs=1e-3)


def test_illegal_transition_is_rejected_and_writes_nothing(store: Store) -> None:
    job = store.jobs.create("default", NewJob(type="command", status=S.QUEUED), actor="ann")
    store.jobs.transition(job.id, S.FAILED, reason="boom", detail={"exit": 2}, actor="engine")
    with pytest.raises(IllegalTransition) as caught:
        store.jobs.transition(job.id, S.RUNNING, actor="engine")
    assert (
        str(caught.value) == f"job {job.name} cannot go from Failed to Running (Failed is terminal)"
    )
    assert caught.value.code == "conflict"
    with pytest.raises(
        IllegalTransition, match="from NotStarted it may go to Canceled, Failed, Queued"
    ):
        other = store.jobs.create("default", NewJob(type="command"), actor="ann")
        store.jobs.transition(other.id, S.RUNNING, actor="engine")
    assert [e.status for e in store.jobs.events(job.id)] == [S.QUEUED, S.FAILED]
    assert store.jobs.events(job.id)[-1].detail == {"exit": 2}


def test_expected_from_is_a_compare_and_set(store: Store) -> None:
    job = store.jobs.create("default", NewJob(type="command", status=S.QUEUED), actor="ann")
    store.jobs.transition(job.id, S.PREPARING, expected_from=S.QUEUED, actor="engine")
    with pytest.raises(StaleStatus, match=f"job {job.name} is Preparing, expected Queued"):
        store.jobs.transition(job.id, S.CANCELED, expected_from=S.QUEUED, actor="engine")
    done = store.jobs.transition(
        job.id, S.CANCELED, expected_from={S.QUEUED, S.PREPARING}, actor="engine"
    )
    assert done.status == S.CANCELED
    assert len(store.jobs.events(job.id)) == 3


def test_terminal_transition_drops_the_lease(store: Store) -> None:
    job = store.jobs.create("default", NewJob(type="command", status=S.QUEUED), actor="ann")
    [claimed] = store.jobs.claim_queued("engine-1", lease_seconds=30)
    assert claimed.lease_owner == "engine-1"
    done = store.jobs.transition(job.id, S.CANCELED, actor="engine-1")
    assert (done.lease_owner, done.lease_expires_at) == (None, None)


def test_archive_only_finished_jobs(store: Store) -> None:
    job = store.jobs.create("default", NewJob(type="command", status=S.QUEUED), actor="ann")
    with pytest.raises(Conflict, match="only a finished job can be archived"):
        store.jobs.set_archived(job.id, True, actor="ann")
    store.jobs.transition(job.id, S.CANCELED, actor="engine")
    assert store.jobs.set_archived(job.id, True, actor="ann").archived
    assert not store.jobs.set_archived(job.id, False, actor="ann").archived


def test_reuse_key_lookup_and_mark_reused(store: Store) -> None:
    original = store.jobs.create("default", NewJob(type="command", status=S.QUEUED), actor="ann")
    store.jobs.record_reuse_key(original.id, "k1", {"code": "h1", "inputs": {"a": 1}}, actor="e")
    assert store.jobs.find_reusable("default", "k1") is None  # not completed yet
    for status in (S.PREPARING, S.RUNNING, S.COMPLETED):
        store.jobs.transition(original.id, status, actor="e")
    assert store.jobs.find_reusable("default", "k1") == store.jobs.get(original.id)
    assert store.jobs.get(original.id).reuse_key_parts == {"code": "h1", "inputs": {"a": 1}}

    again = store.jobs.create("default", NewJob(type="command", status=S.QUEUED), actor="ann")
    store.jobs.record_reuse_key(again.id, "k1", {"code": "h1", "inputs": {"a": 1}}, actor="e")
    reused = store.jobs.mark_reused(again.id, original.id, actor="e")
    assert (reused.status, reused.reused_from_id) == (S.COMPLETED, original.id)
    last = store.jobs.events(again.id)[-1]
    assert (last.reason, last.detail) == ("reused", {"reused_from": original.name,
                                                      "reused_from_id": original.id})  # fmt: skip
    # A reuse hit is never itself offered as the thing to reuse.
    found = store.jobs.find_reusable("default", "k1")
    assert found is not None and found.id == original.id


def test_every_mutation_is_audited_and_failed_ones_are_not(store: Store) -> None:
    job = store.jobs.create("default", NewJob(type="command"), actor="ann")
    store.jobs.transition(job.id, S.QUEUED, actor="engine")
    with pytest.raises(IllegalTransition):
        store.jobs.transition(job.id, S.FINALIZING, actor="engine")
    store.jobs.update(job.id, tags={"x": "y"}, actor="bob")
    entries = store.audit.list(target_kind="job", target_name=job.name).items
    assert [(e.actor, e.action) for e in entries] == [
        ("bob", "job.update"),
        ("engine", "job.transition"),
        ("ann", "job.create"),
    ]
    assert entries[1].detail["from"] == "NotStarted"
    assert {entry.workspace for entry in entries} == {"default"}
    with pytest.raises(UsageError, match="actor"):
        store.jobs.update(job.id, tags={"x": "z"}, actor=" ")


def test_seeded_generator_is_reproducible() -> None:
    assert seeded_generator(7)() == seeded_generator(7)()


def test_racing_transitions_have_exactly_one_winner(store: Store) -> None:
    jobs = [
        store.jobs.create("default", NewJob(type="command", status=S.QUEUED), actor="a")
        for _ in range(10)
    ]
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def racer(target: JobStatus) -> None:
        start.wait()
        for job in jobs:
            try:
                store.jobs.transition(job.id, target, expected_from=S.QUEUED, actor=str(target))
                outcomes.append(f"{job.id} won")
            except (StaleStatus, IllegalTransition):
                outcomes.append(f"{job.id} lost")

    targets = [S.PREPARING, S.CANCELED, S.CANCEL_REQUESTED, S.FAILED]
    threads = [threading.Thread(target=racer, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 40
    for job in jobs:
        assert outcomes.count(f"{job.id} won") == 1
        assert len(store.jobs.events(job.id)) == 2  # Queued + the one winning transition


def test_apply_records_a_whole_timeline_in_one_call(store: Store) -> None:
    from datetime import timedelta

    from cairn.store import Move

    job = store.jobs.create("default", NewJob(type="command", status=S.QUEUED), actor="ann")
    other = store.jobs.create("default", NewJob(type="command", status=S.QUEUED), actor="ann")
    start = job.status_at + timedelta(seconds=1)
    moves = [
        Move(job.id, S.PREPARING, at=start),
        Move(job.id, S.RUNNING, at=start + timedelta(seconds=2)),
        Move(job.id, S.FINALIZING, at=start + timedelta(seconds=5)),
        Move(job.id, S.COMPLETED, at=start + timedelta(seconds=6), reason="completed"),
        Move(other.id, S.CANCELED, reason="upstream failed"),
    ]
    before = store.audit.list(limit=1000).items
    jobs = store.jobs.apply(
        moves, properties={job.id: {"outputs": {"m": "blake3:x"}}}, actor="engine"
    )
    assert {j.id: j.status for j in jobs} == {job.id: S.COMPLETED, other.id: S.CANCELED}
    timings = job_timings(store.jobs.events(job.id))
    assert timings.running_s == pytest.approx(3.0, abs=1e-3)
    assert store.jobs.get(job.id).properties["outputs"] == {"m": "blake3:x"}
    assert len(store.audit.list(limit=1000).items) == len(before) + 1
    with pytest.raises(IllegalTransition):
        store.jobs.apply([Move(other.id, S.RUNNING), Move(job.id, S.RUNNING)], actor="engine")
    assert store.jobs.get(job.id).status is S.COMPLETED  # nothing of a failed batch is kept
